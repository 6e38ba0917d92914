// The byte form of a TcpSnapshot (docs/protocol.md, "TCP connection snapshots"): what crosses
// from the node that captured a connection to the one that restores it, so it follows the wire
// rules: fixed-size little-endian fields, no padding, a version byte first, every range checked
// by the decoder, which returns a kProtocol Status naming the field and never reads past the
// span. Queue lengths are checked against the bytes present before anything is copied, so a
// hostile length costs nothing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "hasync/status.h"
#include "tcp/snapshot.h"

namespace hasync::tcp {

inline constexpr uint8_t kSnapshotVersion = 1;
// The largest queue a decoder accepts by default: far above Linux's default buffer ceilings
// (4 MiB to send, 6 MiB to receive), far below what would strain a node's memory.
inline constexpr uint32_t kMaxQueueBytes = 32u << 20;

// Appends the snapshot's bytes to `out`. The snapshot must be valid as Decode checks it (a
// capture always is); a queue over kMaxQueueBytes is a caller bug and aborts.
void EncodeSnapshot(const TcpSnapshot& snapshot, std::vector<uint8_t>& out);

Result<TcpSnapshot> DecodeSnapshot(std::span<const uint8_t> bytes,
                                   uint32_t max_queue_bytes = kMaxQueueBytes);

}  // namespace hasync::tcp
