// World: one seed's deterministic simulation of a hasync pair.
//
// It holds the two core::Nodes (node ids 1 and 2), virtual time, the event queue, the simulated
// network and the single seeded Rng, and it plays the daemon's part for each node: it calls the
// node, then Flush() at the end of the turn, and carries out the effects after every call (bytes
// into the pipe, timers armed or cancelled, CloseChannel, events). Timers fire at their deadline;
// re-arming replaces, kNever cancels. A crash destroys the Node (kill -9 or power loss) and a
// restart builds a fresh one with an empty store and the same configuration. Each node has its
// own wall clock (virtual time plus the setup's skew), which it is given at every start.
//
// In seeds with an address pool, each node life also runs its pool (pool_clients.h): Call ticks
// it after every turn, and the node's pool completions go to it. In seeds with consumers, each
// node life runs its publisher (consumers.h), whose effects are carried out after every drain
// of the node's.
//
// Everything that happens is an event in (time, sequence) order and every random choice comes
// from the Rng in that order (the pool's and the consumers' from generators of their own seeded
// from the same seed, setup.h), so a seed replays exactly: same steps, same trace.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/node.h"
#include "sim/consumers.h"
#include "sim/event_queue.h"
#include "sim/faults.h"
#include "sim/history.h"
#include "sim/invariants.h"
#include "sim/network.h"
#include "sim/pool_clients.h"
#include "sim/rng.h"
#include "sim/setup.h"
#include "sim/tamper.h"
#include "sim/trace.h"
#include "sim/workload.h"

namespace hasync::sim {

struct SimOptions {
  uint64_t seed = 1;
  std::ostream* trace = nullptr;  // every event, when set
  BreakMode brk = BreakMode::kNone;
  PoolChoice pool = PoolChoice::kDrawn;  // the pool's --break modes run one in every seed
  ConsumerChoice consumers = ConsumerChoice::kDrawn;  // likewise the consumers' modes
  // "table/key": trace that record on both nodes (value, RVN, rank, tombstone) whenever it
  // changes, to follow one key through a failing seed.
  std::string watch;
};

struct Failure {
  std::string invariant;
  std::string message;
  TimePoint at{0};
};

struct SimResult {
  uint64_t seed = 0;
  uint64_t steps = 0;
  uint64_t faults = 0;
  uint64_t writes = 0;
  // How much of the reconciliation machinery the seed exercised.
  uint64_t split_brains = 0;     // SplitBrainDetected events (each node reports its own)
  uint64_t reconciliations = 0;  // ReconcileCompleted on the receiving (active) side
  uint64_t postponed = 0;        // writes the active postponed
  uint64_t chased = 0;           // faults aimed at a sync phase (faults.h)
  bool pool = false;             // the seed ran an address pool
  PoolCounts pool_counts;
  bool consumers = false;  // the seed ran consumers
  ConsumerCounts consumer_counts;
  TimePoint end{0};
  std::optional<Failure> failure;
};

SimResult RunSeed(const SimOptions& options);

enum class CrashKind : uint8_t { kKill, kPowerLoss, kStop };

class World final : private LinkEvents {
 public:
  explicit World(const SimOptions& options);
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();

  SimResult Run();

  // For the workload, the fault schedule and the invariants.
  TimePoint now() const { return queue_.now(); }
  Rng& rng() { return rng_; }
  Rng& pool_rng() { return pool_rng_; }
  Rng& consumer_rng() { return consumer_rng_; }
  EventQueue& queue() { return queue_; }
  uint64_t seed() const { return options_.seed; }
  BreakMode brk() const { return options_.brk; }
  Trace& trace() { return trace_; }
  const Setup& setup() const { return setup_; }
  Network& network() { return network_; }
  History& history() { return history_; }
  Workload& workload() { return workload_; }
  PoolClients& pool_clients() { return pool_clients_; }
  Consumers& consumers() { return consumers_; }
  Faults& faults() { return faults_; }
  Invariants& invariants() { return invariants_; }
  bool running(int slot) const { return slots_[slot].node != nullptr; }
  // Grows at every crash and every start: names one life of a node.
  uint64_t incarnation(int slot) const { return slots_[slot].incarnation; }
  // The running life of node `slot`, as the author of a write applied now.
  Writer writer(int slot) const {
    return Writer{slot, slots_[slot].incarnation, slots_[slot].started, now()};
  }
  core::Node& node(int slot) { return *slots_[slot].node; }
  void At(TimePoint at, std::function<void()> fn) { queue_.At(at, std::move(fn)); }

  // Calls into node `slot` as its daemon would: fn(node), then the end-of-turn Flush, carrying
  // out the effects after each.
  template <typename Fn>
  void Call(int slot, Fn&& fn) {
    core::Node& n = node(slot);
    invariants_.Touched(slot);
    const uint64_t resyncs = n.counters().resyncs;
    fn(n);
    Drain(slot);
    if (pool_clients_.has_pool(slot)) {
      pool_clients_.Turn(slot, n);
      Drain(slot);
    }
    n.Flush(now());
    Drain(slot);
    consumers_.CallDone(slot);
    invariants_.CallDone(slot, n.counters().resyncs != resyncs);
  }

  // The fault schedule asked node `slot` for a switchover, which it accepted; until the node
  // reports the outcome (SwitchoverCompleted) or dies, it is pending.
  void SwitchoverAsked(int slot) { switchover_pending_[slot] = true; }
  bool switchover_pending(int slot) const { return switchover_pending_[slot]; }

  void Start(int slot);
  void Crash(int slot, CrashKind kind);
  // Records the first violated invariant; the run stops after the current step.
  void Fail(std::string_view invariant, std::string message);
  bool failed() const { return failure_.has_value(); }

 private:
  struct Slot {
    std::unique_ptr<core::Node> node;
    uint64_t incarnation = 0;
    TimePoint started{0};  // when the running life began
    std::array<uint64_t, core::kTimerCount> timer_gen{};
  };

  void Drain(int slot);
  void Watch();
  // --break drop-reconcile: whether node `slot` lacks `e` of `table` or holds it ranked lower.
  bool ReceiverLacks(int slot, std::string_view table, const wire::RecordEntry& e) const;
  void OnEvent(int slot, core::Event& e);
  void DigestMismatch(int slot, std::string_view what);
  void FireTimer(int slot, uint64_t incarnation, core::TimerId id, uint64_t gen);

  // LinkEvents.
  bool NodeRunning(int slot) const override { return running(slot); }
  void ChannelUp(int slot) override;
  void ChannelDown(int slot, std::string_view reason) override;
  void Bytes(int slot, std::span<const uint8_t> bytes) override;
  void FrameSent(int from, const Frame& frame, uint64_t end) override;
  void BadStream(int from, std::string_view error) override;

  SimOptions options_;
  Rng rng_;
  Rng pool_rng_;
  Rng consumer_rng_;
  EventQueue queue_;
  Trace trace_;
  Setup setup_;
  Tamper tamper_;
  Network network_;
  History history_;
  Workload workload_;
  PoolClients pool_clients_;
  Consumers consumers_;
  Invariants invariants_;
  Faults faults_;
  std::array<Slot, 2> slots_;
  std::optional<Failure> failure_;
  bool idle_step_ = false;          // the event was a stale timer: nothing to check
  std::optional<int> break_crash_;  // --break drop-acked: crash this node after the step
  std::array<bool, 2> switchover_pending_{};
  std::array<std::string, 2> watched_;  // --watch: the record as last traced, per node
  bool swallowed_ = false;              // --break swallow-postponed: a completion was dropped
  uint64_t split_brains_ = 0;
  uint64_t reconciliations_ = 0;
};

}  // namespace hasync::sim
