// What a driver says about the core's split-brain and reconciliation events (docs/
// reconciliation.md): the sentences it logs, which hasyncd also hands to notify scripts as the
// reason. Pure functions, no I/O. (The counts behind metrics are core::Counters.)
#pragma once

#include <string>

#include "core/effects.h"
#include "hasync/types.h"

namespace hasync::net {

// "split-brain detected: node 2 is active too; this node keeps the active role and waits for
// its records" (or "...; this node yields the active role and sends its records to node 2").
std::string DescribeSplitBrain(const core::SplitBrainDetected& e);

// One line with every count, e.g. "reconciliation completed (split-brain resolved): received
// 120 records from node 2: 100 inserted, 15 replaced, 1 deleted, 4 kept, 0 written, 0 swept;
// the stores differ, bulk sync back". A peer id of 0 reads "the peer".
std::string DescribeReconcile(const core::ReconcileCompleted& e);

}  // namespace hasync::net
