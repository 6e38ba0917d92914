#include "sim/workload.h"

#include <string>

#include "fmt/format.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMaxValueBytes = 300;
constexpr uint64_t kMaxPreloadValueBytes = 32;

// A value that names its write ("v17." then filler), cut to `size` bytes. The filler at offset i
// is 'a' + (serial + i) % 26: a run of the alphabet, copied from a long enough rotation.
std::string MakeValue(uint64_t serial, size_t size) {
  static const std::string kAlphabet = [] {
    std::string a;
    for (size_t i = 0; i < kMaxValueBytes + 26; ++i) a.push_back(static_cast<char>('a' + i % 26));
    return a;
  }();
  std::string v = fmt::format("v{}.", serial);
  if (v.size() < size) v.append(kAlphabet, (serial + v.size()) % 26, size - v.size());
  v.resize(size);
  return v;
}

// What a postponed write may complete with besides ok.
bool PostponedError(Code code, bool erase) {
  switch (code) {
    case Code::kTimeout:        // it waited past postpone_timeout, or for the standby's ack
    case Code::kNotActive:      // its node lost the active role
    case Code::kUnavailable:    // no standby for a replicated write, or the node is stopping
    case Code::kNotReplicated:  // ran, but the standby's ack never came
      return true;
    case Code::kNotFound:  // an erase that ran once its key was gone
      return erase;
    default:
      return false;
  }
}

}  // namespace

void Workload::Run(core::TimePoint until) {
  if (!preload_started_) {
    preload_started_ = true;
    preload_left_ = w_->setup().preload;
  }
  Tick(until);
}

void Workload::Tick(core::TimePoint until) {
  World& w = *w_;
  if (w.now() >= until) return;
  // The client writes to the node it believes is active; now and then to the other one.
  const bool active0 = w.running(0) && w.invariants().status(0).role == Role::kActive;
  const bool active1 = w.running(1) && w.invariants().status(1).role == Role::kActive;
  int slot = active0 == active1 ? static_cast<int>(w.rng().Below(2)) : (active0 ? 0 : 1);
  if (w.rng().Percent(10)) slot = 1 - slot;
  const uint64_t burst = w.rng().Percent(20) ? w.rng().Between(2, 8) : 1;
  if (w.running(slot)) {
    w.Call(slot, [&](core::Node& node) {
      // The status as the last step left it holds until this turn writes anything.
      bool fresh = true;
      if (preload_left_ > 0 && w.invariants().status(slot).role == Role::kActive) {
        Preload(node, slot);
        fresh = false;
      }
      for (uint64_t i = 0; i < burst && !w.failed(); ++i) {
        WriteOne(node, slot, fresh ? w.invariants().status(slot) : node.status());
        fresh = false;
      }
    });
  }
  const core::Duration gap = w.rng().Between(core::Duration{200us}, w.setup().write_gap_max);
  w.At(w.now() + gap, [this, until] { Tick(until); });
}

// The preload: many small async records in one turn, in their own table, so that the next bulk
// sync or reconciliation has a long walk to make.
void Workload::Preload(core::Node& node, int slot) {
  World& w = *w_;
  const NodeId id = w.setup().nodes[slot].node_id;
  const uint64_t first = w.setup().preload - preload_left_;
  uint64_t done = 0;
  for (uint64_t i = first; preload_left_ > 0; ++i) {
    const KeyRef key{"p", fmt::format("p{}", i)};
    const uint64_t serial = next_serial_++;
    std::string value = MakeValue(serial, 4 + w.rng().Below(kMaxPreloadValueBytes - 3));
    const core::WriteOutcome out =
        node.Put(w.now(), key.table, key.key, value, Durability::kAsync, next_token_++);
    if (!out.status.ok()) break;  // e.g. a switchover in progress: the rest waits a turn
    --preload_left_;
    ++done;
    Stamped(slot, out.stamp);
    ++writes_;
    w.history().Applied(key, Rank{out.stamp, id}, std::move(value), w.writer(slot));
  }
  if (w.trace().on()) {
    w.trace()(w.now(), NodeName(slot), "client preloads {} records ({} left)", done, preload_left_);
  }
}

void Workload::WriteOne(core::Node& node, int slot, const core::NodeStatus& st) {
  World& w = *w_;
  Rng& rng = w.rng();
  const Setup& setup = w.setup();
  KeyRef key{rng.Percent(50) ? "t0" : "t1", fmt::format("k{}", rng.Below(setup.keys_per_table))};
  const bool erase = rng.Percent(25);
  const Durability durability = rng.Percent(40) ? Durability::kReplicated : Durability::kAsync;
  const WriteIntent intent = !rng.Percent(setup.intent_percent) ? WriteIntent::kUpdate
                             : erase                            ? WriteIntent::kRelease
                                                                : WriteIntent::kAllocate;
  const uint64_t serial = next_serial_++;
  const uint64_t token = next_token_++;
  std::optional<std::string> value;
  if (!erase) value = MakeValue(serial, rng.Below(kMaxValueBytes + 1));
  const core::WriteOutcome out =
      erase ? node.Erase(w.now(), key.table, key.key, durability, token, intent)
            : node.Put(w.now(), key.table, key.key, *value, durability, token, intent);
  const bool replicated = durability == Durability::kReplicated;
  if (w.trace().on()) {
    w.trace()(w.now(), NodeName(slot), "client {} {}/{} {} {} tok={} -> {}{}{}",
              erase ? "erase" : "put", key.table, key.key, replicated ? "replicated" : "async",
              WriteIntentName(intent), token, out.status.ToString(),
              out.postponed ? " (postponed)"
              : out.pending ? " (pending)"
                            : "",
              out.stamp != 0 ? " stamp " + ShowRank(Rank{out.stamp, st.node_id}) : "");
  }
  auto refused = [&](std::string what) {
    w.Fail("write_refusal",
           fmt::format("{} ({} {}, sync {}, {} postponed) {}", NodeName(slot), RoleName(st.role),
                       WriteIntentName(intent), SyncStateName(st.sync), st.postponed, what));
  };
  const Code code = out.status.code();
  if (st.role != Role::kActive) {
    if (code != Code::kNotActive) refused("answered a write with " + out.status.ToString());
    return;
  }
  const core::CoreConfig& config = setup.nodes[slot];
  const bool postponable = intent != WriteIntent::kUpdate && st.sync == SyncState::kReconciling;
  const core::TimePoint now = w.now();
  if (out.postponed) {
    if (!postponable) return refused("postponed it");
    if (!out.status.ok() || !out.pending || out.stamp != 0) {
      return refused(fmt::format("postponed it with {}, pending={}, stamp {}",
                                 out.status.ToString(), out.pending, out.stamp));
    }
    if (st.postponed >= config.max_postponed_writes) {
      return refused(fmt::format("postponed it beyond max_postponed_writes ({})",
                                 config.max_postponed_writes));
    }
    const core::TimePoint due =
        now + config.postpone_timeout + (replicated ? config.replicate_timeout : core::Duration{0});
    w.history().Postponed(key, value);
    pending_.emplace(token,
                     Pending{slot, key, std::move(value), Rank{}, now, due, replicated, true});
    dues_.emplace(due, token);
    ++postponed_[slot];
    ++postponed_total_;
    return;
  }
  if (postponable && code != Code::kUnavailable) {
    return refused("did not postpone it but answered " + out.status.ToString());
  }
  if (!out.status.ok()) {
    if (code != Code::kUnavailable && !(erase && code == Code::kNotFound)) {
      refused("refused it: " + out.status.ToString());
    }
    return;
  }
  if (out.pending != replicated) {
    return refused(fmt::format("accepted it with pending={}", out.pending));
  }
  if (out.stamp == 0) return refused("applied it without a stamp");
  ++writes_;
  Stamped(slot, out.stamp);
  const Rank rank{out.stamp, st.node_id};
  w.history().Applied(key, rank, value, w.writer(slot));
  if (out.pending) {
    const core::TimePoint due = now + config.replicate_timeout;
    pending_.emplace(token, Pending{slot, key, std::move(value), rank, now, due, true, false});
    dues_.emplace(due, token);
  }
}

std::optional<core::TimePoint> Workload::Completed(int slot, const core::WriteCompleted& done) {
  World& w = *w_;
  auto it = pending_.find(done.token);
  if (it == pending_.end() || it->second.slot != slot) {
    const bool again = it == pending_.end() && postponed_done_.contains(done.token);
    w.Fail(again ? "postponed_served" : "write_completes",
           fmt::format("{} completed write tok={}, which it has no pending{}", NodeName(slot),
                       done.token, again ? " (a postponed write that completed already)" : ""));
    return std::nullopt;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  dues_.erase({p.due, done.token});
  const NodeId id = w.setup().nodes[slot].node_id;
  if (p.postponed) {
    --postponed_[slot];
    postponed_done_.insert(done.token);
    const bool erase = !p.value.has_value();
    if (!done.status.ok() && !PostponedError(done.status.code(), erase)) {
      w.Fail("postponed_served", fmt::format("{}'s postponed write tok={} completed with {}",
                                             NodeName(slot), done.token, done.status.ToString()));
      return std::nullopt;
    }
    if (done.status.ok() && done.stamp == 0) {
      w.Fail("postponed_served", fmt::format("{}'s postponed write tok={} completed ok without "
                                             "a stamp",
                                             NodeName(slot), done.token));
      return std::nullopt;
    }
    if (done.stamp != 0) {  // it ran
      p.rank = Rank{done.stamp, id};
      ++writes_;
      w.history().Ran(p.key, p.value, p.rank, w.writer(slot));
    } else {
      w.history().NotRun(p.key, p.value);
    }
  } else if (done.stamp != p.rank.stamp) {
    w.Fail(
        "write_completes",
        fmt::format("{}'s write tok={} was applied with stamp {} but completed with {}",
                    NodeName(slot), done.token, ShowRank(p.rank), ShowRank(Rank{done.stamp, id})));
    return std::nullopt;
  }
  if (!done.status.ok() || !p.replicated) return std::nullopt;
  // The active applied it, and the standby that acknowledged it holds it if it is still
  // connected (a crashed standby's acknowledgement may still arrive; its store is gone).
  const int peer = 1 - slot;
  Network& net = w.network();
  uint8_t holders = static_cast<uint8_t>(1u << slot);
  if (w.running(peer) && net.alive() && net.open(peer)) holders |= static_cast<uint8_t>(1u << peer);
  w.history().Acked(p.key, p.rank, holders);
  return p.issued;
}

void Workload::Stamped(int slot, uint64_t stamp) {
  World& w = *w_;
  // The node derives its wall clock from the one it was started with, to the ms: allow one.
  const uint64_t wall_ms = w.setup().wall_ms(slot, w.now());
  const NodeId id = w.setup().nodes[slot].node_id;
  if (stamp <= last_stamp_[slot]) {
    w.Fail("hlc", fmt::format("{} stamped a write {} after one stamped {}", NodeName(slot),
                              ShowRank(Rank{stamp, id}), ShowRank(Rank{last_stamp_[slot], id})));
  } else if ((stamp >> 16) + 1 < wall_ms) {
    w.Fail("hlc", fmt::format("{} stamped a write {}, behind its wall clock {} ms", NodeName(slot),
                              ShowRank(Rank{stamp, id}), wall_ms));
  }
  last_stamp_[slot] = stamp;
}

bool Workload::IsPostponed(uint64_t token) const {
  auto it = pending_.find(token);
  return it != pending_.end() && it->second.postponed;
}

void Workload::NodeLost(int slot) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    const Pending& p = it->second;
    if (p.slot != slot) {
      ++it;
      continue;
    }
    // A postponed write that may have run before the crash stays a maybe write.
    dues_.erase({p.due, it->first});
    it = pending_.erase(it);
  }
  postponed_[slot] = 0;
  last_stamp_[slot] = 0;
}

void Workload::CheckPending() {
  if (dues_.empty()) return;
  World& w = *w_;
  const auto [due, token] = *dues_.begin();
  if (w.now() <= due) return;
  const Pending& p = pending_.at(token);
  const core::CoreConfig& config = w.setup().nodes[p.slot];
  if (p.postponed) {
    w.Fail("postponed_served",
           fmt::format("{}'s postponed {} write tok={} issued at {}s had not completed at {}s "
                       "(postpone timeout {} ms{})",
                       NodeName(p.slot), p.replicated ? "kReplicated" : "kAsync", token,
                       Trace::Time(p.issued), Trace::Time(w.now()),
                       config.postpone_timeout.count() / 1'000'000,
                       p.replicated ? fmt::format(" + replicate timeout {} ms",
                                                  config.replicate_timeout.count() / 1'000'000)
                                    : ""));
    return;
  }
  w.Fail("write_completes",
         fmt::format("{}'s kReplicated write tok={} issued at {}s had not completed at {}s "
                     "(replicate timeout {} ms)",
                     NodeName(p.slot), token, Trace::Time(p.issued), Trace::Time(w.now()),
                     config.replicate_timeout.count() / 1'000'000));
}

}  // namespace hasync::sim
