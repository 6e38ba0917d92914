// Faults: the schedule of one run. Node 1 boots at 0 and node 2 at the setup's boot time; then
// chaos phases, each followed by a quiet window, until the end. A chaos phase runs the workload
// and injects 1..6 faults at random times: partition (from a few ms to seconds: well past the
// dead time, both nodes then serve writes), connection reset, crash (kill -9, power loss or
// graceful stop) and restart, delay spike, corruption or reordering of the next bytes, and admin
// switchover requests to the active (sometimes a burst of 2-4 flips a few ms apart, each asked
// of whichever node is active then). The setup's split-brain phase also gets one long partition
// that heals before the phase ends, so that the reconciliation runs while clients still write.
//
// Faults also chase the sync phases (FrameSent): when a node sends a bulk sync's begin, a
// switchover lands while the bulk runs; after a bulk EOF, right after it; when a node asks for
// or begins a reconciliation, a switchover, a flip burst, a crash or a channel cut lands within
// it. At most kMaxChased per chaos phase. Every fault is over (partition healed, node restarted,
// spike ended, armed corruption dropped) when the quiet window begins.
#pragma once

#include <cstdint>

#include "core/config.h"
#include "sim/frames.h"

namespace hasync::sim {

class World;

class Faults {
 public:
  explicit Faults(World* world) : w_(world) {}
  void Plan();
  // A node sent `frame`: chase the sync phase it opens or closes.
  void FrameSent(int from, const Frame& frame);
  uint64_t count() const { return count_; }
  uint64_t chased() const { return chased_; }
  // Also for the consumers' faults (consumers.h).
  void Partition(core::TimePoint heal);
  // A switchover, or with the setup's flip_percent a burst of 2-4 of them.
  void Switchovers();

 private:
  void Inject(core::TimePoint phase_end);
  void Crash(int slot);
  void Switchover();
  // Schedules a fault aimed at the phase `frame` opened, within `window`.
  void Chase(const char* what, core::Duration window, bool reconcile);

  World* w_;
  uint64_t count_ = 0;
  uint64_t chased_ = 0;
  core::TimePoint chaos_end_{0};  // end of the running chaos phase; past it, nothing is chased
  uint64_t chase_left_ = 0;
};

}  // namespace hasync::sim
