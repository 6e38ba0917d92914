// Setup: everything about one seed's run that is drawn before it starts: both nodes' core
// configuration and wall clocks, the network's timing, when node 2 boots, the workload's shape,
// how eagerly faults chase the sync phases, and the schedule of phases.
//
// A run alternates chaos phases (client writes, faults, admin switchovers) with quiet windows
// (nothing injected) long enough for the pair to reconnect, elect, finish a reconciliation and
// the bulk sync back, and converge: the quiet window must cover the slowest path to convergence
// the configuration allows, or the liveness check would blame the core for the simulator's
// impatience (Setup::quiet explains the bound).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "sim/network.h"
#include "sim/rng.h"

namespace hasync::sim {

// Wall clocks: node slot i reads kEpochMs + virtual time (ms) + skew_ms[i] (2026-01-01 UTC).
inline constexpr uint64_t kEpochMs = 1'767'225'600'000;

struct Setup {
  std::array<core::CoreConfig, 2> nodes;
  std::array<int64_t, 2> skew_ms{};  // each node's wall clock offset, -2 s .. +2 s
  NetParams net;
  TimePoint boot2{0};           // node 1 boots at 0, node 2 at boot2
  std::vector<Duration> chaos;  // lengths of the chaos phases, each followed by a quiet window
  Duration quiet{0};
  Duration write_gap_max{0};  // clients write every 0.2 ms .. write_gap_max during chaos

  // Workload.
  uint64_t keys_per_table = 100;  // two tables; fewer keys, more conflicts across a split-brain
  uint64_t preload = 0;           // records written in one turn once a node is active (table p)
  uint64_t intent_percent = 0;    // writes marked allocate (puts) or release (erases)

  // Faults that chase the sync phases (percent of the occasions, during chaos only).
  uint64_t switch_on_bulk = 0;       // a bulk sync begins: a switchover while it runs
  uint64_t switch_after_bulk = 0;    // a bulk EOF is sent: a switchover right after it
  uint64_t switch_on_reconcile = 0;  // a sync request or reconciliation begins: a fault within it
  uint64_t flip_percent = 0;         // a switchover is a burst of 2-4 flips a few ms apart
  int split_brain_phase = -1;        // chaos phase that holds a long partition, -1 for none

  TimePoint end() const;
  uint64_t wall_ms(int slot, TimePoint now) const;
  // Upper bound on one walk (a bulk sync or a reconciliation) over every key the run can hold.
  Duration walk_bound(uint64_t rate) const;
};

Setup MakeSetup(Rng& rng);
std::string Describe(const Setup& setup);

}  // namespace hasync::sim
