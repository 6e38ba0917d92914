#include "net/reconcile_report.h"

#include <gtest/gtest.h>

namespace hasync::net {
namespace {

TEST(ReconcileReportTest, SplitBrainSaysWhoKeepsTheActiveRole) {
  EXPECT_EQ(DescribeSplitBrain({2, true}),
            "split-brain detected: node 2 is active too; this node keeps the active role and "
            "waits for its records");
  EXPECT_EQ(DescribeSplitBrain({1, false}),
            "split-brain detected: node 1 is active too; this node yields the active role and "
            "sends its records to it");
}

TEST(ReconcileReportTest, ReceiverLineHasEveryCount) {
  core::ReconcileCompleted e;
  e.split_brain = true;
  e.merged = {.received = 120,
              .inserted = 100,
              .replaced = 15,
              .deleted = 1,
              .kept = 4,
              .written = 2,
              .swept = 3};
  e.bulk_back = true;
  e.peer = 2;
  EXPECT_EQ(DescribeReconcile(e),
            "reconciliation completed (split-brain resolved): received 120 records from node 2: "
            "100 inserted, 15 replaced, 1 deleted, 4 kept, 2 written, 3 swept; the stores "
            "differ, bulk sync back");
  e.split_brain = false;
  e.bulk_back = false;
  e.peer = 0;
  EXPECT_EQ(DescribeReconcile(e),
            "reconciliation completed: received 120 records from the peer: 100 inserted, 15 "
            "replaced, 1 deleted, 4 kept, 2 written, 3 swept; the stores are equal, an empty "
            "bulk sync confirms it");
}

TEST(ReconcileReportTest, SenderLineSaysHowManyItSent) {
  core::ReconcileCompleted e;
  e.sender = true;
  e.sent = 5000;
  e.peer = 1;
  EXPECT_EQ(DescribeReconcile(e), "reconciliation completed: sent 5000 records to node 1");
}

}  // namespace
}  // namespace hasync::net
