#include "pair.h"

namespace hasync::core::testing {
namespace {

// 2026-01-01 in ms since the epoch. By default node 1's wall clock runs 7 ms ahead of node 0's,
// so no test relies on synchronised clocks.
constexpr uint64_t kWallEpochMs = 1'767'225'600'000;

}  // namespace

CoreConfig TestConfig(NodeId id, uint8_t priority) {
  CoreConfig c;
  c.node_id = id;
  c.priority = priority;
  c.cluster = "test";
  c.startup_wait = 200ms;
  return c;
}

Pair::Pair(CoreConfig a, CoreConfig b) : configs_{std::move(a), std::move(b)} {
  for (auto& t : timers_) t.fill(kNever);
}

void Pair::Start(int i) {
  nodes_[i] = std::make_unique<Node>(configs_[i]);
  if (setup_) setup_(i, *nodes_[i]);
  timers_[i].fill(kNever);
  auto elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_).count();
  nodes_[i]->Start(
      now_, static_cast<uint64_t>(static_cast<int64_t>(kWallEpochMs) + elapsed_ms + skew_ms_[i]));
  Drain(i);
}

void Pair::StartConnected(Duration settle) {
  Start(0);
  Start(1);
  Connect();
  Run(settle);
}

void Pair::Connect() {
  connected_ = true;
  held_[0].clear();
  held_[1].clear();
  for (int i = 0; i < 2; ++i) nodes_[i]->OnChannelUp(now_);
  Settle();
}

void Pair::Disconnect() {
  if (!connected_) return;
  connected_ = false;
  for (int i = 0; i < 2; ++i) {
    held_[i].clear();
    if (nodes_[i]) nodes_[i]->OnChannelDown(now_, "test disconnect");
  }
  Settle();
}

void Pair::Crash(int i) {
  nodes_[i].reset();
  timers_[i].fill(kNever);
  connected_ = false;
  held_[0].clear();
  held_[1].clear();
  int peer = 1 - i;
  if (nodes_[peer]) nodes_[peer]->OnChannelDown(now_, "peer crashed");
  Settle();
}

void Pair::Inject(int i, std::span<const uint8_t> bytes) {
  nodes_[i]->OnBytes(now_, bytes);
  Settle();
}

void Pair::Drain(int i) {
  if (!nodes_[i]) return;
  Node& n = *nodes_[i];
  n.Flush(now_);
  Effects& fx = n.effects();
  for (const TimerRequest& t : fx.timers) timers_[i][static_cast<size_t>(t.id)] = t.deadline;
  if (connected_) held_[i].insert(held_[i].end(), fx.send.begin(), fx.send.end());
  for (Event& e : fx.events) {
    if (std::holds_alternative<CloseChannel>(e)) {
      ++closes_[i];
      // The far side sees the close (unless the cable is cut: then it must time out on its
      // own); the node that asked already treats the channel as down.
      connected_ = false;
      held_[0].clear();
      held_[1].clear();
      if (nodes_[1 - i] && !partitioned_)
        nodes_[1 - i]->OnChannelDown(now_, "peer closed the channel");
    }
    events_[i].push_back(std::move(e));
  }
  fx.clear();
}

void Pair::Settle() {
  for (int round = 0; round < 10000; ++round) {
    bool moved = false;
    for (int i = 0; i < 2; ++i) {
      Drain(i);
      int peer = 1 - i;
      if (!connected_ || partitioned_ || stalled_[i] || held_[i].empty() || !nodes_[peer]) continue;
      std::vector<uint8_t> bytes;
      bytes.swap(held_[i]);
      nodes_[peer]->OnBytes(now_, bytes);
      moved = true;
    }
    if (!moved) return;
  }
}

void Pair::FireDueTimers() {
  for (int i = 0; i < 2; ++i) {
    for (size_t t = 0; t < kTimerCount; ++t) {
      if (!nodes_[i] || timers_[i][t] > now_) continue;
      timers_[i][t] = kNever;
      nodes_[i]->OnTimer(now_, static_cast<TimerId>(t));
      Settle();
    }
  }
}

void Pair::Run(Duration span) {
  TimePoint end = now_ + span;
  Settle();
  while (true) {
    FireDueTimers();
    TimePoint next = kNever;
    for (auto& per_node : timers_) {
      for (TimePoint t : per_node) next = std::min(next, t);
    }
    if (next > end) break;
    now_ = std::max(now_, next);
  }
  now_ = end;
  FireDueTimers();
}

std::vector<RoleChanged> Pair::roles(int i) const {
  std::vector<RoleChanged> out;
  for (const Event& e : events_[i]) {
    if (auto* r = std::get_if<RoleChanged>(&e)) out.push_back(*r);
  }
  return out;
}

}  // namespace hasync::core::testing
