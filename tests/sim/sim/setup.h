// Setup: everything about one seed's run that is drawn before it starts: both nodes' core
// configuration and wall clocks, the network's timing, when node 2 boots, the workload's shape,
// how eagerly faults chase the sync phases, and the schedule of phases.
//
// A run alternates chaos phases (client writes, faults, admin switchovers) with quiet windows
// (nothing injected) long enough for the pair to reconnect, elect, finish a reconciliation and
// the bulk sync back, and converge: the quiet window must cover the slowest path to convergence
// the configuration allows, or the liveness check would blame the core for the simulator's
// impatience (Setup::quiet explains the bound).
//
// Some seeds also run an address pool (PoolSetup), some consumers (ConsumerSetup). Their draws
// come from generators of their own seeded from the same seed (World::pool_rng,
// World::consumer_rng), so a seed without a pool or consumers draws, and runs, exactly as it did
// before those workloads existed.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "hasync/pool.h"
#include "sim/consumer_setup.h"
#include "sim/network.h"
#include "sim/rng.h"

namespace hasync::sim {

// Wall clocks: node slot i reads kEpochMs + virtual time (ms) + skew_ms[i] (2026-01-01 UTC).
inline constexpr uint64_t kEpochMs = 1'767'225'600'000;

// The address pool of a seed that has one (sim/pool_clients.h runs it).
struct PoolSetup {
  bool on = false;
  PoolOptions options;         // a small IPv4 pool, kReplicated, grace above the clocks' spread
  uint64_t size = 0;           // addresses, after the excludes
  uint64_t clients = 0;        // more than half the pool, so that a share runs out
  Duration gap_max{0};         // a client acts every 0.5 ms .. gap_max during chaos
  uint64_t lapse_percent = 0;  // leases a client lets lapse instead of renewing
  // Some chaos phases crash a node for the rest of the phase, and the operator declares
  // partner-down on the survivor while the peer is really down (restarted at the quiet window).
  bool partner_down = false;
  uint64_t digest = 0;  // the pool's settings digest: both nodes' application_digest
};

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

  PoolSetup pool;
  ConsumerSetup consumers;

  TimePoint end() const;
  uint64_t wall_ms(int slot, TimePoint now) const;
  // Upper bound on one walk (a bulk sync or a reconciliation) over every key the run can hold.
  Duration walk_bound(uint64_t rate) const;
};

Setup MakeSetup(Rng& rng);
// Which seeds run a pool: about 30% (drawn), none, or all. The pool's draws are the same in all
// three, so a seed's pool is the same whichever makes it run.
enum class PoolChoice : uint8_t { kDrawn, kNone, kAll };
// Draws the seed's pool from `pool_rng` and, if it runs one, configures both nodes for it.
void DrawPool(Rng& pool_rng, PoolChoice choice, Setup* setup);
std::string Describe(const Setup& setup);

}  // namespace hasync::sim
