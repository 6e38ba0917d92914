// ReplayBound: what a replay may resend, by the simulator's own account (the replay_bounded
// check of sim/consumer_checks.h), as a pure function of what the replaying node knows of the
// channel and what the consumer holds, so that it is unit-tested apart from the publisher.
//
// An op is identified by (op id, term). The node *knows* the ops of its history's pending
// entries (a merged range by its last op) and its acknowledged point; the consumer has the ops
// it applied, plus those already on their way to it on the same connection. Missing are:
//  (i)  the node's pending entries whose last op the consumer does not have, except those
//       below a replay of the same term that the consumer has (that replay resent them);
//  (ii) the consumer's applied ops above the node's acknowledged point whose term the node
//       does not give for that op (TermOf), except those below such a replay.
// The replay may reset the sections of their masks, and resend one by one the keys that the
// missing entries name (per-update replay; for a range, the keys its ops named when new). A
// full replay (every section) is allowed only as the design notes say: the consumer holds
// nothing; no fork (no op of the consumer's resume ring, its last ring_size ops, has the term
// the node gives it); the node must replay the channel in full (it took over without holding
// everything); or past the thresholds (missing ops over full_after_ops, or at least
// full_after_sections sections missing). Each rule only ever allows more than the publisher's
// planner would (a looser fork, uncut ranges), so the bound can be trusted when it refuses.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "replay/config.h"
#include "replay/history.h"

namespace hasync::sim {

struct OpRef {
  uint64_t op = 0;
  uint64_t term = 0;
  uint64_t mask = 0;
  bool replay = false;
  auto operator<=>(const OpRef&) const = default;
};

// The keys the ops of a channel named, by (op, term), as the simulator saw them in the nodes'
// histories when they were new (null: it named none): a history that merges its oldest entries
// into a range drops their keys, possibly in the very turn that replays them by keys.
using OpKeys = std::map<std::pair<uint64_t, uint64_t>, std::shared_ptr<const replay::KeyList>>;

struct BoundInput {
  const replay::ChannelHistory* history = nullptr;  // the replaying node's, after the build
  uint64_t replay_op = 0;                           // the replay's own op (its last entry)
  uint64_t replay_term = 0;
  std::string table;
  std::string prefix;
  std::vector<OpRef> applied;  // the consumer's, oldest first
  std::vector<OpRef> on_way;   // sent to it on the replay's connection before the replay
  size_t ring_size = 256;
  const OpKeys* keys = nullptr;  // of this channel, if any were seen
  bool flagged = false;          // the node must replay this channel in full (publisher_tap.h)
  replay::ReplayPolicy policy;
};

// Why a full replay is allowed (kNo: it is not).
enum class FullWhy : uint8_t { kNo, kHoldsNothing, kFlagged, kNoFork, kThresholds };

struct ReplayBound {
  uint64_t sections = 0;
  std::set<std::string> keys;
  uint64_t missing_ops = 0;
  FullWhy full = FullWhy::kNo;
  std::string full_reason;  // in words
};

ReplayBound BoundReplay(const BoundInput& in);

}  // namespace hasync::sim
