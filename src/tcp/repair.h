// Capture and restore of an established TCP connection with Linux's TCP_REPAIR (kernel 4.8 or
// later; CAP_NET_ADMIN in the socket's network namespace).
//
// Capture freezes a socket (repair mode: it stops sending, and a close then leaves no trace on
// the wire: no FIN, no RST) and reads its sequence numbers, negotiated options, windows, timestamp
// clock and both queues. Restore makes a new socket that is that connection: same addresses,
// sequence numbers and options, the unread bytes waiting to be read, the unacknowledged bytes
// queued to be sent again. The peer sees, at most, a retransmission and a window probe.
//
// What the kernel does not let us restore, and so a restored connection starts afresh with: the
// congestion window (slow start again), the RTT estimate, the SACK scoreboard, keepalive and
// user-timeout settings, buffer sizes. Only ESTABLISHED connections are captured; closing states
// (a FIN sent or received) would need FINs forged through a raw socket, and Capture refuses them.
//
// The local address must exist on the restoring node before Restore, and the peer's packets to
// it must be dropped while Restore runs (a segment that meets no socket draws a RST): the
// takeover path does both. Neither function throws; failures are kIo (a system call failed,
// errno in the text), kRejected (a state Capture cannot carry) or kInvalidArgument.
#pragma once

#include <chrono>
#include <optional>

#include "common/unique_fd.h"
#include "hasync/status.h"
#include "tcp/snapshot.h"

namespace hasync::tcp {

enum class AfterCapture {
  kThaw,        // leave repair mode: the connection carries on where it is
  kKeepFrozen,  // stay in repair mode, so that closing the socket sends nothing
};

// Reads the connection of `fd` (a connected TCP socket, IPv4 or IPv6). On error the socket is
// thawed again, whatever `after` says.
Result<TcpSnapshot> Capture(int fd, AfterCapture after);

struct RestoreOptions {
  // Time since the capture, for the timestamp clock. Unset: computed from the snapshot's
  // captured_at_us and this node's wall clock (the nodes' clocks should agree to a few ms; NTP).
  std::optional<std::chrono::microseconds> elapsed;
  // Leave the socket in repair mode (the caller thaws it with Thaw once the peer's packets flow
  // again); otherwise Restore thaws it before returning.
  bool keep_frozen = false;
};

// A new non-blocking socket carrying the snapshot's connection.
Result<UniqueFd> Restore(const TcpSnapshot& snapshot, const RestoreOptions& options = {});

// Leaves repair mode and queues the bytes the snapshot had not yet transmitted; for a socket
// Restore kept frozen.
Status Thaw(int fd, const TcpSnapshot& snapshot);

}  // namespace hasync::tcp
