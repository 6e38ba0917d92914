// Pair: two core::Nodes wired back to back for unit tests, with virtual time. Bytes are
// delivered whole and at once (the simulator in tests/sim models delay, splitting and faults);
// here tests control the link by hand: connect, cut, hold back acks.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <vector>

#include "core/node.h"

namespace hasync::core::testing {

class Pair {
 public:
  Pair(CoreConfig a, CoreConfig b);

  Node& node(int i) { return *nodes_[i]; }
  TimePoint now() const { return now_; }

  // Runs on every node made by Start, before the node starts (to install a stream extension).
  void OnNodeCreated(std::function<void(int i, Node& node)> setup) { setup_ = std::move(setup); }
  void Start(int i);
  // Node i's wall clock runs `ms` ahead of the shared reference (behind if negative); applies
  // at its next Start.
  void SkewWallClock(int i, int64_t ms) { skew_ms_[i] = ms; }
  void Connect();
  // Starts both nodes, connects them and lets election and the first bulk sync run.
  void StartConnected(Duration settle = 100ms);
  // Both sides see the connection close (a reset, or the kernel of a killed process).
  void Disconnect();
  // Stops delivering bytes in both directions without closing anything (a cut cable).
  void Partition(bool on) { partitioned_ = on; }
  // Holds back everything node `i` sends, to play a standby that stops reading.
  void Stall(int i, bool on) { stalled_[i] = on; }
  void Crash(int i);  // destroys node i (its peer sees the channel close)

  // Runs timers and deliveries until virtual time `until` (relative to now).
  void Run(Duration span);
  // Drains pending effects (after a direct call on a node).
  void Settle();

  std::vector<Event>& events(int i) { return events_[i]; }
  std::vector<RoleChanged> roles(int i) const;
  bool connected() const { return connected_; }
  size_t closes(int i) const { return closes_[i]; }
  // Raw bytes to node i, as if its peer sent them.
  void Inject(int i, std::span<const uint8_t> bytes);

 private:
  void Drain(int i);
  void FireDueTimers();

  std::array<CoreConfig, 2> configs_;
  std::function<void(int, Node&)> setup_;
  std::array<std::unique_ptr<Node>, 2> nodes_;
  std::array<std::array<TimePoint, kTimerCount>, 2> timers_{};
  std::array<std::vector<uint8_t>, 2> held_;  // bytes sent by i, not yet delivered
  std::array<std::vector<Event>, 2> events_;
  std::array<size_t, 2> closes_{};
  std::array<int64_t, 2> skew_ms_{0, 7};
  std::array<bool, 2> stalled_{};
  bool partitioned_ = false;
  bool connected_ = false;
  TimePoint now_{0};
};

CoreConfig TestConfig(NodeId id, uint8_t priority);

}  // namespace hasync::core::testing
