// Settings of the node side of consumers and selective replay (docs/consumers.md), with the
// bounds that keep a slow, absent or hostile consumer from growing a node's memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/config.h"
#include "wire/consumer_messages.h"

namespace hasync::replay {

// What a consumer that is behind gets (seed 001 [0076], claim 19 of seed 003). The missing ops
// are walked newest first: while they name their keys and the keys stay within keys_max, those
// keys are resent with their current values (per-update replay); the sections of the older
// rest are resent whole (section replay). Past full_after_ops missing ops, or when the sections
// to resend number full_after_sections or more, every record of the subscription is resent
// (full replay).
struct ReplayPolicy {
  size_t keys_max = 4096;
  uint64_t full_after_ops = 100000;
  unsigned full_after_sections = 48;
};

struct PublisherConfig {
  wire::AckMode ack_mode = wire::AckMode::kForwarded;
  core::Duration ack_interval = std::chrono::milliseconds(10);  // told to consumers
  // A channel whose consumer stays away this long is dropped, its pending queue freed.
  core::Duration consumer_timeout = std::chrono::seconds(30);
  core::Duration ping_interval = std::chrono::seconds(1);
  core::Duration dead_after = std::chrono::seconds(3);  // a consumer silent this long is cut
  size_t max_channels = 1024;
  size_t max_connections = 1024;
  // Entries of one channel's pending queue; past it the two oldest merge into one range (its
  // keys dropped): memory stays bounded, replay falls back to sections for the old part (a
  // few hundred ops of scattered keys touch every section anyway). Attach lowers it so that
  // max_channels histories (32 bytes an entry on the wire) fit in half the node's
  // max_unacked_bytes: every bulk sync carries them all to the standby.
  size_t max_pending_ops = 1024;
  // Keys one turn's ops may name (more: they are replayed by sections); also the keys a
  // standby keeps of changes no op announced yet (past it, only their sections).
  size_t max_op_keys = 1024;
  // Bytes queued toward one consumer; past it the consumer is "behind": its ops wait in the
  // pending queue and it gets a catch-up replay once it has drained.
  size_t window_bytes = 4u << 20;
  size_t fragment_bytes = 256u << 10;  // a replay is cut into updates of about this size
  size_t max_concurrent_replays = 8;   // replays queued toward consumers at once
  // Records a replay that resets sections reads from its table in one turn: it goes on in the
  // next turn, so that a large table never stalls the node (store/table_walk.h).
  size_t replay_slice_records = 16384;
  ReplayPolicy policy;
  // What decoders accept (table names, keys, values): Attach takes the node's store limits,
  // so the replay stream carries whatever the store holds.
  wire::ConsumerLimits limits;
};

}  // namespace hasync::replay
