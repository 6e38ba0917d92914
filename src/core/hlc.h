// Hlc: the hybrid logical clock that stamps every write, so last-writer-wins merges order writes
// the way they happened (include/hasync/merge.h).
//
// A stamp is milliseconds since the Unix epoch << 16 | a 16-bit counter. Now() never returns a
// stamp at or below one it returned or observed before, and follows the wall clock when the
// wall clock is ahead; Observe() is called with every stamp the node receives, so a write made
// after seeing another outranks it whatever the two wall clocks say. The wall clock is given
// once, at Start, and advanced by the core's own time: nothing is read inside.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "core/config.h"

namespace hasync::core {

class Hlc {
 public:
  void Start(TimePoint now, uint64_t wall_ms) {
    started_ = now;
    wall_ms_ = wall_ms;
  }

  uint64_t Now(TimePoint now) {
    last_ = std::max(Physical(now), last_ + 1);
    return last_;
  }

  void Observe(uint64_t stamp) { last_ = std::max(last_, stamp); }
  uint64_t last() const { return last_; }

 private:
  uint64_t Physical(TimePoint now) const {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - started_).count();
    return (wall_ms_ + static_cast<uint64_t>(std::max<int64_t>(elapsed, 0))) << 16;
  }

  TimePoint started_{0};
  uint64_t wall_ms_ = 0;
  uint64_t last_ = 0;
};

}  // namespace hasync::core
