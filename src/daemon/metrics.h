// Metrics in the Prometheus text exposition format (version 0.0.4): the node's state (role,
// GVN, records, peer, unacknowledged bytes, postponed writes) as gauges and every
// core::Counters field as a counter: hasync_<field>_total, or a labelled series of a family
// (hasync_records_merged_total{outcome="inserted"}). docs/operations.md lists them all.
#pragma once

#include <string>

#include "core/counters.h"
#include "core/node.h"

namespace hasync::daemon {

std::string FormatMetrics(const core::NodeStatus& status, const core::Counters& counters);

}  // namespace hasync::daemon
