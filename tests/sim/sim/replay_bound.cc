#include "sim/replay_bound.h"

#include <algorithm>
#include <bit>

#include "fmt/format.h"
#include "wire/consumer_messages.h"

namespace hasync::sim {
namespace {

bool HasPrefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

bool Knows(const replay::ChannelHistory& h, const OpRef& x) { return h.TermOf(x.op) == x.term; }

void AddKeys(const replay::KeyList& list, const BoundInput& in, std::set<std::string>& out) {
  for (const wire::TableKeys& t : list) {
    if (t.table != in.table) continue;
    for (const std::string& key : t.keys) {
      if (HasPrefix(key, in.prefix)) out.insert(key);
    }
  }
}

// The keys of entry `e`: its own, or those its ops named when they were new.
void EntryKeys(const replay::PendingEntry& e, const BoundInput& in, std::set<std::string>& out) {
  if (e.keys != nullptr) return AddKeys(*e.keys, in, out);
  if (in.keys == nullptr) return;
  for (auto it = in.keys->lower_bound({e.first_op, 0});
       it != in.keys->end() && it->first.first <= e.last_op; ++it) {
    if (it->second != nullptr && (e.term == 0 || it->first.second == e.term)) {
      AddKeys(*it->second, in, out);
    }
  }
}

FullWhy FullReason(const BoundInput& in, ReplayBound& b) {
  if (in.applied.empty()) {
    b.full_reason = "the consumer holds nothing";
    return FullWhy::kHoldsNothing;
  }
  if (in.flagged) {
    b.full_reason = "the node must replay the channel in full";
    return FullWhy::kFlagged;
  }
  const replay::ChannelHistory& h = *in.history;
  const size_t ring = std::max<size_t>(1, std::min(in.ring_size, wire::kMaxResumeRingEntries));
  const size_t from = in.applied.size() > ring ? in.applied.size() - ring : 0;
  if (std::none_of(in.applied.begin() + static_cast<ptrdiff_t>(from), in.applied.end(),
                   [&](const OpRef& x) { return Knows(h, x); })) {
    b.full_reason = "no op of the consumer's ring has the term the node gives it";
    return FullWhy::kNoFork;
  }
  if (b.missing_ops > in.policy.full_after_ops) {
    b.full_reason = fmt::format("{} missing ops, over full_after_ops {}", b.missing_ops,
                                in.policy.full_after_ops);
    return FullWhy::kThresholds;
  }
  if (static_cast<unsigned>(std::popcount(b.sections)) >= in.policy.full_after_sections) {
    b.full_reason = fmt::format("{} missing sections, full_after_sections {}",
                                std::popcount(b.sections), in.policy.full_after_sections);
    return FullWhy::kThresholds;
  }
  return FullWhy::kNo;
}

}  // namespace

ReplayBound BoundReplay(const BoundInput& in) {
  ReplayBound b;
  const replay::ChannelHistory& h = *in.history;
  std::set<std::pair<uint64_t, uint64_t>> has;
  uint64_t covered = 0;  // a replay of this term the consumer has resent everything below it
  for (const std::vector<OpRef>* ops : {&in.applied, &in.on_way}) {
    for (const OpRef& x : *ops) {
      has.emplace(x.op, x.term);
      if (x.replay && x.term == in.replay_term) covered = std::max(covered, x.op);
    }
  }
  for (const replay::PendingEntry& e : h.pending()) {
    if (e.first_op >= in.replay_op || e.last_op < covered) continue;
    if (e.term != 0 && has.contains({e.last_op, e.term})) continue;
    b.sections |= e.mask;
    b.missing_ops += e.last_op - e.first_op + 1;
    EntryKeys(e, in, b.keys);
  }
  for (const OpRef& x : in.applied) {
    if (x.op <= h.acked_op() || x.op < covered || Knows(h, x)) continue;
    b.sections |= x.mask;
    ++b.missing_ops;
  }
  b.full = FullReason(in, b);
  return b;
}

}  // namespace hasync::sim
