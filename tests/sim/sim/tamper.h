// Tamper: the --break developer modes, which plant a known defect in the simulated network (or,
// for one mode, in what the driver passes on from the core; for the consumers' modes, on the
// consumer connections, sim/consumer_tamper.h) so that an invariant can be shown to catch it
// ("an invariant that cannot fail is a defect").
//
// The network modes rewrite frames a node sends, re-encoded with a valid checksum and sequence
// number, so the receiving core cannot notice the tampering from the frame and only the
// invariants (or the core's own digest comparison, see World::DigestMismatch) can. The core
// itself is never modified. `--break help` lists the modes and the invariant each one
// demonstrates.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/effects.h"
#include "sim/frames.h"
#include "wire/record_batch.h"

namespace hasync::sim {

// Leave the start-up alone, so the defect lands in a pair that is already replicating.
inline constexpr core::TimePoint kBreakNotBefore = std::chrono::milliseconds(200);

enum class BreakMode : uint8_t {
  kNone,
  kDropIncremental,  // empties one incremental batch
  kDropAcked,        // empties every incremental batch from 200 ms on; the world then crashes
                     // the active as soon as one of the lost kReplicated writes is acknowledged
  kDropBulk,         // empties one bulk sync batch
  kMaskRoleInit,     // node 2 claims role init in every hello and heartbeat
  kMaskRoleActive,   // node 2 claims role active in every hello and heartbeat
  kDropReconcile,    // empties one reconciliation batch that brings its receiver a record it
                     // lacks (or holds ranked lower)
  kDropReconcileDeletes,  // strips the deletes from every reconciliation batch
  kSwallowPostponed,      // the driver drops the completion of one postponed write
  // The address pool's (every seed then has one):
  kPoolNoShares,       // node 2's pool is created without a peer: it allocates from the whole
                       // pool even while its peer may be active
  kPoolFastClock,      // node 2's pool reads a wall clock 30 s ahead of its node's: it ends
                       // leases early and hands out addresses their clients still hold
  kPoolDropReconcile,  // empties every reconciliation batch of the pool's table
  // The consumers' (every seed then has consumers; sim/consumer_tamper.h plants them):
  kConsumerSkipSection,   // every replay loses the records of one of its reset sections
  kConsumerReplayInSync,  // consumers in sync report other terms in their hellos
  kConsumerFullReplay,    // consumers behind report in their hellos that they hold nothing
  kConsumerDropOp,        // one update that is a whole op never reaches its consumer
};

// Whether `mode` is one of the pool's: those seeds always run a pool.
bool IsPoolBreak(BreakMode mode);

struct BreakInfo {
  BreakMode mode;
  std::string_view name;
  std::string_view catches;  // the invariant that catches it
};
std::span<const BreakInfo> BreakModes();
std::optional<BreakMode> ParseBreakMode(std::string_view name);

class Tamper {
 public:
  // Whether the peer of node `from` lacks the record `entry` of `table` (or holds it ranked
  // lower): kDropReconcile drops only a batch that matters.
  using Lacks = std::function<bool(int from, std::string_view table, const wire::RecordEntry&)>;

  explicit Tamper(BreakMode mode, Lacks lacks = {}) : mode_(mode), lacks_(std::move(lacks)) {}
  BreakMode mode() const { return mode_; }

  // Rewrites `frame`, sent by node slot `from` at `now`, as the mode asks. Returns a note for
  // the trace when it changed the frame, an empty string otherwise.
  std::string Rewrite(int from, core::TimePoint now, Frame& frame);

  // kDropAcked: since when incremental batches are being dropped (kNever before the first).
  core::TimePoint dropping_since() const { return dropping_since_; }
  // Some records batch has been rewritten: the stores may legitimately differ after a sync.
  bool records_tampered() const { return records_tampered_; }

 private:
  std::string RewriteRole(int from, Frame& frame);

  BreakMode mode_;
  Lacks lacks_;
  bool done_ = false;
  bool records_tampered_ = false;
  core::TimePoint dropping_since_ = core::kNever;
};

}  // namespace hasync::sim
