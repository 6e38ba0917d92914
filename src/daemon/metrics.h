// Metrics in the Prometheus text exposition format (version 0.0.4): the node's state (role,
// GVN, records, peer, unacknowledged bytes, postponed writes, the sync channel's TLS mode) as
// gauges, and every field of core::Counters, net::LinkCounters and ControlCounters as a
// counter: hasync_<name>_total, or one labelled series of a family
// (hasync_peers_rejected_total{reason="tls"}). A family is printed once, its HELP and TYPE
// first, whichever of the three structures its series come from. docs/operations.md lists them.
#pragma once

#include <string>

#include "core/counters.h"
#include "core/node.h"
#include "daemon/control_counters.h"
#include "daemon/tls_mode.h"
#include "net/link_counters.h"

namespace hasync::daemon {

std::string FormatMetrics(const core::NodeStatus& status, const core::Counters& counters,
                          const net::LinkCounters& link, const ControlCounters& control,
                          TlsMode tls_mode);

}  // namespace hasync::daemon
