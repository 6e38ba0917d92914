// Rng: the simulation's source of randomness, seeded from the seed being run. A world has two:
// the main one, and the address pool's (World::pool_rng, seeded from the same seed xor a
// constant), so that seeds without a pool draw exactly what they drew before pools existed.
//
// Only std::mt19937_64 itself is taken from the standard library: its output sequence is fixed by
// the standard, whereas std::uniform_int_distribution and friends are not (libstdc++ and libc++
// draw differently), so the helpers below derive every choice with integer arithmetic and a seed
// replays identically on any platform. Every draw advances its generator, in event order.
#pragma once

#include <cstdint>
#include <limits>
#include <random>

#include "core/config.h"

namespace hasync::sim {

using core::Duration;

class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  Rng(const Rng&) = delete;
  Rng& operator=(const Rng&) = delete;

  // Uniform in [0, n); n must be > 0. Rejection sampling, so no modulo bias.
  uint64_t Below(uint64_t n) {
    constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
    const uint64_t limit = kMax - kMax % n;
    uint64_t x = gen_();
    while (x >= limit) x = gen_();
    return x % n;
  }
  // Uniform in [lo, hi].
  uint64_t Between(uint64_t lo, uint64_t hi) { return lo + Below(hi - lo + 1); }
  Duration Between(Duration lo, Duration hi) {
    return lo + Duration(static_cast<int64_t>(Below(static_cast<uint64_t>((hi - lo).count()) + 1)));
  }
  // True with probability percent/100.
  bool Percent(uint64_t percent) { return Below(100) < percent; }

 private:
  std::mt19937_64 gen_;
};

}  // namespace hasync::sim
