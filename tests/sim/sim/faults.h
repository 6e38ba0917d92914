// Faults: the schedule of one run. Node 1 boots at 0 and node 2 at the setup's boot time; then
// chaos phases, each followed by a quiet window, until the end. A chaos phase runs the workload
// and injects 1..6 faults at random times: partition, connection reset, crash (kill -9, power
// loss or graceful stop) and restart, delay spike, corruption or reordering of the next bytes,
// and admin switchover requests to the active. Every fault is over (partition healed, node
// restarted, spike ended, armed corruption dropped) when the quiet window begins.
#pragma once

#include <cstdint>

#include "core/config.h"

namespace hasync::sim {

class World;

class Faults {
 public:
  explicit Faults(World* world) : w_(world) {}
  void Plan();
  uint64_t count() const { return count_; }

 private:
  void Inject(core::TimePoint phase_end);
  void Switchover();

  World* w_;
  uint64_t count_ = 0;
};

}  // namespace hasync::sim
