// Metrics in the Prometheus text exposition format (version 0.0.4): the node's state (role,
// GVN, records, peer, unacknowledged bytes) as gauges and every core::Counters field as a
// counter named hasync_<field>_total.
#pragma once

#include <string>

#include "core/counters.h"
#include "core/node.h"

namespace hasync::daemon {

std::string FormatMetrics(const core::NodeStatus& status, const core::Counters& counters);

}  // namespace hasync::daemon
