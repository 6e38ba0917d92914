#include "net/reconcile_report.h"

#include <fmt/format.h>

namespace hasync::net {

namespace {

std::string NodeName(NodeId peer) {
  return peer == 0 ? std::string("the peer") : fmt::format("node {}", peer);
}

}  // namespace

std::string DescribeSplitBrain(const core::SplitBrainDetected& e) {
  std::string peer = NodeName(e.peer);
  if (e.keeps_active) {
    return fmt::format(
        "split-brain detected: {} is active too; this node keeps the active role and waits for "
        "its records",
        peer);
  }
  return fmt::format(
      "split-brain detected: {} is active too; this node yields the active role and sends its "
      "records to it",
      peer);
}

std::string DescribeReconcile(const core::ReconcileCompleted& e) {
  std::string what = e.split_brain ? "reconciliation completed (split-brain resolved)"
                                   : "reconciliation completed";
  if (e.sender) {
    return fmt::format("{}: sent {} records to {}", what, e.sent, NodeName(e.peer));
  }
  const core::MergeCounts& m = e.merged;
  return fmt::format(
      "{}: received {} records from {}: {} inserted, {} replaced, {} deleted, {} kept, {} "
      "written, {} swept; {}",
      what, m.received, NodeName(e.peer), m.inserted, m.replaced, m.deleted, m.kept, m.written,
      m.swept,
      e.bulk_back ? "the stores differ, bulk sync back"
                  : "the stores are equal, an empty bulk sync confirms it");
}

}  // namespace hasync::net
