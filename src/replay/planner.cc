#include "replay/planner.h"

#include <algorithm>
#include <bit>

namespace hasync::replay {
namespace {

ReplayPlan Full(uint64_t fork_op, uint64_t fork_term, uint64_t missing_ops) {
  ReplayPlan plan;
  plan.kind = ReplayKind::kFull;
  plan.fork_op = fork_op;
  plan.fork_term = fork_term;
  plan.missing_ops = missing_ops;
  plan.sections = kAllSections;
  plan.mask = kAllSections;
  return plan;
}

void AppendKeys(const KeyList& list, const std::string& table, std::vector<std::string>& out) {
  for (const wire::TableKeys& t : list) {
    if (t.table == table) out.insert(out.end(), t.keys.begin(), t.keys.end());
  }
}

// The history's entries above `above`, newest first (ReplayPolicy): by keys while every entry
// names its keys and they stay within keys_max, by sections from the first that does not.
// Returns the masks of the entries replayed by keys.
SectionMask CollectEntries(const ChannelHistory& history, const std::string& table, uint64_t above,
                           const ReplayPolicy& policy, ReplayPlan& plan) {
  SectionMask keyed_mask = 0;
  size_t key_total = 0;
  bool by_keys = true;
  const std::deque<PendingEntry>& pending = history.pending();
  for (auto it = pending.rbegin(); it != pending.rend() && it->last_op > above; ++it) {
    const uint64_t first = std::max(it->first_op, above + 1);
    plan.missing_ops += it->last_op - first + 1;
    by_keys = by_keys && it->keys != nullptr && first == it->first_op &&
              key_total + it->key_count <= policy.keys_max;
    if (by_keys) {
      key_total += it->key_count;
      keyed_mask |= it->mask;
      AppendKeys(*it->keys, table, plan.keys);
    } else {
      plan.sections |= it->mask;
    }
  }
  return keyed_mask;
}

// Applies the thresholds and settles the kind, the keys and the mask.
ReplayPlan Finish(ReplayPlan plan, SectionMask keyed_mask, const ReplayPolicy& policy,
                  const SectionFunction& section_of) {
  if (plan.missing_ops == 0) {
    return ReplayPlan{ReplayKind::kNone, plan.fork_op, plan.fork_term, 0, 0, {}, 0};
  }
  if (plan.missing_ops > policy.full_after_ops ||
      static_cast<unsigned>(std::popcount(plan.sections)) >= policy.full_after_sections) {
    return Full(plan.fork_op, plan.fork_term, plan.missing_ops);
  }
  std::sort(plan.keys.begin(), plan.keys.end());
  plan.keys.erase(std::unique(plan.keys.begin(), plan.keys.end()), plan.keys.end());
  // A key whose section is resent whole comes with it.
  std::erase_if(plan.keys, [&](const std::string& key) {
    return (plan.sections & SectionBit(section_of(key))) != 0;
  });
  plan.kind = plan.sections != 0 ? ReplayKind::kSections : ReplayKind::kKeys;
  plan.mask = plan.sections | keyed_mask;
  return plan;
}

}  // namespace

ReplayPlan PlanResume(const ChannelHistory& history, const std::string& table,
                      const ResumePoint& resume, const ReplayPolicy& policy,
                      const SectionFunction& section_of) {
  if (resume.last_op == 0) return Full(0, 0, 0);
  ReplayPlan plan;
  bool found = history.TermOf(resume.last_op) == resume.last_term;
  if (found) {
    plan.fork_op = resume.last_op;
    plan.fork_term = resume.last_term;
  }
  for (auto it = resume.ring.rbegin(); !found && it != resume.ring.rend(); ++it) {
    found = history.TermOf(it->op) == it->term;
    if (found) {
      plan.fork_op = it->op;
      plan.fork_term = it->term;
    }
  }
  if (!found) return Full(0, 0, 0);
  // The consumer's ops above the fork that its ring does not list: unknown sections.
  const bool ring_reaches = plan.fork_op == resume.last_op ||
                            (!resume.ring.empty() && resume.ring.front().op <= plan.fork_op + 1 &&
                             resume.ring.back().op == resume.last_op);
  if (!ring_reaches && resume.last_op > history.last_op()) {
    return Full(plan.fork_op, plan.fork_term, resume.last_op - plan.fork_op);
  }
  const SectionMask keyed_mask = CollectEntries(history, table, plan.fork_op, policy, plan);
  for (const wire::ResumeEntry& e : resume.ring) {
    if (e.op > plan.fork_op && history.TermOf(e.op) != e.term) {
      ++plan.missing_ops;
      plan.sections |= e.mask;
    }
  }
  return Finish(std::move(plan), keyed_mask, policy, section_of);
}

ReplayPlan PlanCatchUp(const ChannelHistory& history, const std::string& table, uint64_t sent_op,
                       const ReplayPolicy& policy, const SectionFunction& section_of) {
  ReplayPlan plan;
  plan.fork_op = history.acked_op();
  plan.fork_term = history.acked_term();
  const SectionMask keyed_mask = CollectEntries(history, table, sent_op, policy, plan);
  return Finish(std::move(plan), keyed_mask, policy, section_of);
}

}  // namespace hasync::replay
