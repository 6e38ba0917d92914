#include "sim/workload.h"

#include <string>

#include "fmt/format.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kKeysPerTable = 100;
constexpr uint64_t kMaxValueBytes = 300;

// A value that names its write ("v17." then filler), cut to `size` bytes.
std::string MakeValue(uint64_t serial, size_t size) {
  std::string v = fmt::format("v{}.", serial);
  for (size_t i = v.size(); i < size; ++i) v.push_back(static_cast<char>('a' + (serial + i) % 26));
  v.resize(size);
  return v;
}

}  // namespace

void Workload::Run(core::TimePoint until) { Tick(until); }

void Workload::Tick(core::TimePoint until) {
  World& w = *w_;
  if (w.now() >= until) return;
  // The client writes to the node it believes is active; now and then to the other one.
  const bool active0 = w.running(0) && w.node(0).status().role == Role::kActive;
  const bool active1 = w.running(1) && w.node(1).status().role == Role::kActive;
  int slot = active0 == active1 ? static_cast<int>(w.rng().Below(2)) : (active0 ? 0 : 1);
  if (w.rng().Percent(10)) slot = 1 - slot;
  const uint64_t burst = w.rng().Percent(20) ? w.rng().Between(2, 8) : 1;
  if (w.running(slot)) {
    w.Call(slot, [&](core::Node& node) {
      for (uint64_t i = 0; i < burst && !w.failed(); ++i) WriteOne(node, slot);
    });
  }
  const core::Duration gap = w.rng().Between(core::Duration{200us}, w.setup().write_gap_max);
  w.At(w.now() + gap, [this, until] { Tick(until); });
}

void Workload::WriteOne(core::Node& node, int slot) {
  World& w = *w_;
  Rng& rng = w.rng();
  KeyRef key{rng.Percent(50) ? "t0" : "t1", fmt::format("k{}", rng.Below(kKeysPerTable))};
  const bool erase = rng.Percent(25);
  const Durability durability = rng.Percent(40) ? Durability::kReplicated : Durability::kAsync;
  const uint64_t serial = next_serial_++;
  const uint64_t token = next_token_++;
  std::optional<std::string> value;
  if (!erase) value = MakeValue(serial, rng.Below(kMaxValueBytes + 1));
  const Role role = node.status().role;
  const core::WriteOutcome out =
      erase ? node.Erase(w.now(), key.table, key.key, durability, token)
            : node.Put(w.now(), key.table, key.key, *value, durability, token);
  const bool replicated = durability == Durability::kReplicated;
  if (w.trace().on()) {
    w.trace()(w.now(), NodeName(slot), "client {} {}/{} {} tok={} -> {}{}", erase ? "erase" : "put",
              key.table, key.key, replicated ? "replicated" : "async", token, out.status.ToString(),
              out.pending ? " (pending)" : "");
  }
  const Code code = out.status.code();
  if (role != Role::kActive) {
    if (code != Code::kNotActive) {
      w.Fail("write_refusal", fmt::format("{} is {} but answered a write with {}", NodeName(slot),
                                          RoleName(role), out.status.ToString()));
    }
    return;
  }
  if (!out.status.ok()) {
    if (code != Code::kUnavailable && code != Code::kNotFound) {
      w.Fail("write_refusal", fmt::format("the active {} refused a write: {}", NodeName(slot),
                                          out.status.ToString()));
    }
    return;
  }
  if (out.pending != replicated) {
    w.Fail("write_refusal", fmt::format("{} accepted a {} write with pending={}", NodeName(slot),
                                        replicated ? "kReplicated" : "kAsync", out.pending));
    return;
  }
  ++writes_;
  w.history().Applied(key, serial, std::move(value));
  if (out.pending) pending_.emplace(token, Pending{slot, key, serial, w.now()});
}

std::optional<core::TimePoint> Workload::Completed(int slot, uint64_t token, const Status& status) {
  World& w = *w_;
  auto it = pending_.find(token);
  if (it == pending_.end() || it->second.slot != slot) {
    w.Fail("write_completes", fmt::format("{} completed write tok={}, which it has no pending",
                                          NodeName(slot), token));
    return std::nullopt;
  }
  const Pending p = std::move(it->second);
  pending_.erase(it);
  if (!status.ok()) return std::nullopt;
  // The active applied it, and the standby that acknowledged it holds it if it is still
  // connected (a crashed standby's acknowledgement may still arrive; its store is gone).
  const int peer = 1 - slot;
  Network& net = w.network();
  uint8_t holders = static_cast<uint8_t>(1u << slot);
  if (w.running(peer) && net.alive() && net.open(peer)) holders |= static_cast<uint8_t>(1u << peer);
  w.history().Acked(p.key, p.serial, holders);
  return p.issued;
}

void Workload::NodeLost(int slot) {
  std::erase_if(pending_, [slot](const auto& entry) { return entry.second.slot == slot; });
}

void Workload::CheckPending() {
  if (pending_.empty()) return;
  const auto& [token, p] = *pending_.begin();
  World& w = *w_;
  const core::TimePoint due = p.issued + w.setup().nodes[p.slot].replicate_timeout;
  if (w.now() > due) {
    w.Fail("write_completes",
           fmt::format("{}'s kReplicated write tok={} issued at {}s had not completed at {}s "
                       "(replicate timeout {} ms)",
                       NodeName(p.slot), token, Trace::Time(p.issued), Trace::Time(w.now()),
                       w.setup().nodes[p.slot].replicate_timeout.count() / 1'000'000));
  }
}

}  // namespace hasync::sim
