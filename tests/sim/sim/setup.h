// Setup: everything about one seed's run that is drawn before it starts: both nodes' core
// configuration, the network's timing, when node 2 boots, and the schedule of phases.
//
// A run alternates chaos phases (client writes, faults, admin switchovers) with quiet windows
// (nothing injected) long enough for the pair to reconnect, elect, finish a bulk sync and
// converge: the quiet window must cover the slowest path to convergence the configuration allows,
// or the liveness check would blame the core for the simulator's impatience.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/config.h"
#include "sim/network.h"
#include "sim/rng.h"

namespace hasync::sim {

struct Setup {
  std::array<core::CoreConfig, 2> nodes;
  NetParams net;
  TimePoint boot2{0};           // node 1 boots at 0, node 2 at boot2
  std::vector<Duration> chaos;  // lengths of the chaos phases, each followed by a quiet window
  Duration quiet{0};
  Duration write_gap_max{0};  // clients write every 0.2 ms .. write_gap_max during chaos

  TimePoint end() const;
};

Setup MakeSetup(Rng& rng);
std::string Describe(const Setup& setup);

}  // namespace hasync::sim
