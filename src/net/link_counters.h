// LinkCounters: what the sync port saw below the protocol (connections, TLS handshakes, a peer
// that stopped reading), counted per class for operators, next to the core's Counters. Plain
// monotonic numbers, read on the io thread.
#pragma once

#include <cstdint>

namespace hasync::net {

struct LinkCounters {
  uint64_t connections_accepted = 0;      // incoming connections accepted by the listener
  uint64_t connections_rate_limited = 0;  // closed at once: past max_connections_per_second
  uint64_t connections_busy = 0;          // closed: a peer is already connected, or
                                          // max_pending_handshakes are running
  uint64_t handshakes_failed = 0;         // TLS handshake failed: no or bad certificate, wrong
                                          // key, not TLS, wrong PSK
  uint64_t peers_wrong_identity = 0;      // valid certificate, but not the configured peer_name
  uint64_t handshake_timeouts = 0;        // no completed handshake within handshake_timeout
  uint64_t peers_stalled = 0;             // cut: read nothing for stall_timeout, or the send
                                          // queue passed its bound
};

}  // namespace hasync::net
