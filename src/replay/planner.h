// Planner: decides what a consumer must be sent to be in line with the node again, from the
// channel's history and what the consumer reports. Pure functions, so the simulator and the
// unit tests check them directly.
//
// A resume (a consumer reconnects, to this node or after a failover) reports the last op the
// consumer applied and its most recent ops (op, term, mask). The fork point is the newest op
// both sides know with the same term: the consumer's last op in the common case; older when the
// old active sent ops the standby never heard of, or when two actives numbered ops apart
// during a split-brain. Everything above the fork on either side is missing: the node's
// pending entries (replayed by keys or sections, ReplayPolicy) and the consumer's own ops the
// node does not know (by sections: their keys are unknown here). No common point, or a
// consumer that holds nothing, means a full replay. Nothing missing means no replay at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "replay/config.h"
#include "replay/history.h"

namespace hasync::replay {

struct ResumePoint {
  uint64_t last_op = 0;  // 0: the consumer holds nothing
  uint64_t last_term = 0;
  std::vector<wire::ResumeEntry> ring;  // oldest first
};

enum class ReplayKind : uint8_t { kNone = 0, kKeys = 1, kSections = 2, kFull = 3 };

struct ReplayPlan {
  ReplayKind kind = ReplayKind::kNone;
  uint64_t fork_op = 0;    // ops up to here are delivered (the history may be acked to it)
  uint64_t fork_term = 0;  // the term of fork_op
  uint64_t missing_ops = 0;
  SectionMask sections = 0;  // resent whole (kAllSections for a full replay)
  // Keys resent one by one (their current value, or a delete): those of the newest missing
  // entries, outside `sections`. Only this channel's table, not yet filtered by prefix.
  std::vector<std::string> keys;
  // The mask the replay op carries: every section it may change.
  SectionMask mask = 0;
};

// `table`: the channel's table (keys of other tables in the entries are skipped).
ReplayPlan PlanResume(const ChannelHistory& history, const std::string& table,
                      const ResumePoint& resume, const ReplayPolicy& policy,
                      const SectionFunction& section_of);
// A consumer that stayed connected but fell behind (its window filled): every entry above
// `sent_op` is missing; no fork to find (fork_op is the history's acked point: nothing more is
// known to be delivered).
ReplayPlan PlanCatchUp(const ChannelHistory& history, const std::string& table, uint64_t sent_op,
                       const ReplayPolicy& policy, const SectionFunction& section_of);

}  // namespace hasync::replay
