// The standby's side of replication: apply record batches, follow a bulk sync, sweep after its
// EOF (seed 000, FIG. 7 and 12: store or merge each record, take the GVN from the RVNs).
#include <algorithm>

#include "core/node.h"
#include "fmt/format.h"

namespace hasync::core {

void Node::OnRecords(TimePoint now, wire::Payload payload) {
  if (role_ != Role::kStandby) {
    Fail(now, ProtocolError(fmt::format("records received while {}", RoleName(role_))));
    return;
  }
  wire::BatchLimits limits;
  limits.max_key_bytes = config_.limits.max_key_bytes;
  limits.max_value_bytes = config_.limits.max_value_bytes;
  limits.max_table_name_bytes = config_.limits.max_table_name_bytes;
  Result<wire::RecordBatch> decoded = wire::DecodeRecordBatch(payload, limits);
  if (!decoded.ok()) {
    Fail(now, decoded.status());
    return;
  }
  const wire::RecordBatch& batch = decoded.value();
  // Check before applying anything, so a bad batch changes nothing: RVNs never go down on one
  // stream (the store's version order depends on it).
  uint64_t last = in_.last_rvn;
  bool ordered = true;
  batch.ForEach([&](const wire::RecordEntry& e) {
    ordered = ordered && e.rvn >= last;
    last = std::max(last, e.rvn);
  });
  if (!ordered) {
    Fail(now, ProtocolError("record version numbers went down within the stream"));
    return;
  }
  Result<store::Table*> opened = store_.Open(batch.table());
  if (!opened.ok()) {
    Fail(now, opened.status());
    return;
  }
  store::Table* table = opened.value();
  batch.ForEach([&](const wire::RecordEntry& e) {
    if (e.op == wire::RecordOp::kUpsert) {
      // Cannot fail: the decoder enforced this node's limits, and the key is not empty.
      (void)table->Upsert(e.key, e.value, e.rvn, e.stamp, e.origin);
    } else {
      table->Remove(e.key);
    }
  });
  in_.last_rvn = last;
  gvn_ = std::max(gvn_, last);
  counters_.records_received += batch.count();
  if (batch.kind() == wire::SyncKind::kBulk) in_.bulk_received += batch.count();
}

void Node::OnBulkBegin(TimePoint now, const wire::BulkBegin& m) {
  if (role_ != Role::kStandby || m.kind != wire::SyncKind::kBulk || m.gvn < in_.last_rvn) {
    Fail(now, ProtocolError("unexpected bulk begin"));
    return;
  }
  in_.bulk_receiving = true;
  in_.bulk_gvn = m.gvn;
  in_.bulk_received = 0;
  in_.bulk_total = m.total;
  in_.synced = false;
  in_.last_rvn = m.gvn;
  gvn_ = std::max(gvn_, m.gvn);
  Log(Severity::kInfo, fmt::format("receiving bulk sync from node {}: gvn {}, {} records",
                                   peer_.node_id, m.gvn, m.total));
}

void Node::OnRecordEof(TimePoint now, const wire::RecordEof& m) {
  if (!in_.bulk_receiving || m.kind != wire::SyncKind::kBulk || m.gvn != in_.bulk_gvn) {
    Fail(now, ProtocolError("record EOF without a matching bulk begin"));
    return;
  }
  // Everything the active holds was restamped with m.gvn or written later; anything older here
  // was deleted on the active while this node was not following it.
  size_t swept = 0;
  for (size_t i = 0; i < store_.table_count(); ++i)
    swept += store_.table_at(i).EraseOlderThan(m.gvn);
  counters_.records_swept += swept;
  in_.bulk_receiving = false;
  in_.synced = true;
  ++counters_.bulk_syncs_completed;
  Log(Severity::kInfo, fmt::format("bulk sync from node {} complete: {} records received, {} stale "
                                   "records erased",
                                   peer_.node_id, in_.bulk_received, swept));
}

}  // namespace hasync::core
