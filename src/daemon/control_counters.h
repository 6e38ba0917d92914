// ControlCounters: what the control endpoints did with the connections they were offered, for
// the hasync_control_connections_total metric. Each connection is counted once, by outcome.
#pragma once

#include <cstdint>

namespace hasync::daemon {

struct ControlCounters {
  uint64_t accepted = 0;       // served (unix socket, or TCP after its checks)
  uint64_t refused_limit = 0;  // max_connections already open, or too many TLS handshakes
  uint64_t refused_rate = 0;   // TCP: past the connections-per-second bucket
  uint64_t tls_failed = 0;     // TCP: handshake failed or timed out (no, bad or foreign cert)
  uint64_t not_allowed = 0;    // TCP: valid certificate naming none of allowed_clients
};

}  // namespace hasync::daemon
