// Metrics in the Prometheus text exposition format (version 0.0.4): the node's state (role,
// GVN, records, peer, unacknowledged bytes, postponed writes, the sync channel's TLS mode) as
// gauges, and every field of core::Counters, net::LinkCounters and ControlCounters as a
// counter: hasync_<name>_total, or one labelled series of a family
// (hasync_peers_rejected_total{reason="tls"}). A family is printed once, its HELP and TYPE
// first, whichever of the three structures its series come from. Each address pool adds the
// hasync_pool_* gauges and counters, one series per pool labelled {pool="<name>"}; a consumer
// port the hasync_consumer_* families (consumer_metrics.h).
// docs/operations.md lists them.
#pragma once

#include <string>
#include <vector>

#include "core/counters.h"
#include "core/node.h"
#include "daemon/consumer_metrics.h"
#include "daemon/control_counters.h"
#include "daemon/tls_mode.h"
#include "hasync/pool.h"
#include "net/link_counters.h"
#include "pool/pool.h"

namespace hasync::daemon {

// What the metrics say of one pool.
struct PoolMetrics {
  std::string name;
  PoolUsage usage;
  pool::PoolCounters counters;
};

// `consumers`: null on a node without a consumer port (no hasync_consumer_* families).
std::string FormatMetrics(const core::NodeStatus& status, const core::Counters& counters,
                          const net::LinkCounters& link, const ControlCounters& control,
                          TlsMode tls_mode, const std::vector<PoolMetrics>& pools = {},
                          const ConsumerMetrics* consumers = nullptr);

}  // namespace hasync::daemon
