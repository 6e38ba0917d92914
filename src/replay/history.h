// ChannelHistory: what a node knows of one channel's ops (seed 001's pending message queue).
//
// The acknowledged point (every op up to acked_op was applied by the consumer; the last of them
// came from the active of acked_term) and, above it, the pending queue: ops sent (or due) to the
// consumer and not yet acknowledged, oldest first, each with its term, the mask of sections it
// touched and, while they are few enough to be worth it, the keys it changed. The active and
// the standby hold the same history for every channel (the replay stream keeps them equal);
// an ack pops entries from the front, which is the seed's "applied to the standby's view of the
// consumer, in order".
//
// Bounds: at most max_pending_ops entries (the oldest merge into a range, keys dropped) and at
// most keys_max keys held over the whole queue (the oldest entries drop theirs first). Both
// only lose precision: an entry without keys is replayed by its sections, and a range that
// merged ops of two terms has term 0, which no consumer's op matches (a resume then looks for
// an older common point, or replays in full).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "replay/sections.h"
#include "wire/consumer_messages.h"

namespace hasync::replay {

// The keys one turn changed in the subscribed tables; shared by every channel's entry for that
// turn.
using KeyList = std::vector<wire::TableKeys>;

struct PendingEntry {
  uint64_t first_op = 0;
  uint64_t last_op = 0;
  uint64_t term = 0;  // 0: unknown (a range that merged ops of different terms)
  SectionMask mask = 0;
  std::shared_ptr<const KeyList> keys;  // null: replay by sections only
  size_t key_count = 0;                 // keys of this channel's table in `keys`
};

class ChannelHistory {
 public:
  ChannelHistory(size_t max_pending_ops, size_t keys_max);

  // A new op. False (nothing changes) unless `op` is above last_op(), which the caller
  // ensures for its own ops; peer input that breaks it changes nothing.
  bool Append(uint64_t op, uint64_t term, SectionMask mask, std::shared_ptr<const KeyList> keys,
              size_t key_count);
  // The consumer applied everything up to `op`: entries up to it go (a range is cut). An ack at
  // or below acked_op changes nothing; one above last_op() empties the queue.
  void Ack(uint64_t op, uint64_t term);
  // Replaces the history (a snapshot from the active, or a resume that settled the point).
  // Entries identical to ones held (ops, term and mask) keep the keys they had.
  void Reset(uint64_t acked_op, uint64_t acked_term, const std::vector<wire::PendingRange>& ranges);
  // The term of op `op` if this history knows it: the acked point, or an op inside an entry.
  std::optional<uint64_t> TermOf(uint64_t op) const;

  uint64_t acked_op() const { return acked_op_; }
  uint64_t acked_term() const { return acked_term_; }
  uint64_t last_op() const;  // the newest op known (acked_op when nothing is pending)
  const std::deque<PendingEntry>& pending() const { return pending_; }
  size_t pending_ops() const;  // ops, ranges counted in full
  size_t keys_held() const { return keys_held_; }
  std::vector<wire::PendingRange> Ranges() const;  // for a ChannelState

 private:
  void Bound();
  void DropKeys(PendingEntry& entry);

  size_t max_pending_ops_;
  size_t keys_max_;
  uint64_t acked_op_ = 0;
  uint64_t acked_term_ = 0;
  std::deque<PendingEntry> pending_;
  size_t keys_held_ = 0;
  // Entries before this index hold no keys (keys are dropped oldest first), so bounding the
  // keys never rescans the front of the queue.
  size_t keyed_from_ = 0;
};

}  // namespace hasync::replay
