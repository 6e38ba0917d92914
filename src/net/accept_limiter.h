// AcceptLimiter: the token bucket in front of the sync listener, and the summary of what it
// refused.
//
// The bucket holds `per_second` tokens (the burst) and refills at `per_second` a second; an
// accepted connection takes one or is refused. Refusals are tallied by source address (the
// first kMaxSources distinct ones; the rest as "other addresses") so that a flood costs one log
// line per second, not one per connection. Pure: time is passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hasync::net {

class AcceptLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AcceptLimiter(uint32_t per_second);

  // Whether a connection from `address` arriving at `now` may proceed.
  bool Admit(Clock::time_point now, std::string_view address);
  // The refusals since the last call as one sentence ("refused 312 connections from 127.0.0.1
  // in the last second: over max_connections_per_second (20)"), or none; starts a new tally.
  std::optional<std::string> TakeSummary();

 private:
  static constexpr size_t kMaxSources = 16;

  uint32_t limit_;
  double per_second_;
  double tokens_;
  Clock::time_point last_refill_;
  bool started_ = false;
  uint64_t refused_ = 0;
  std::vector<std::pair<std::string, uint64_t>> sources_;  // by address, first seen first
  uint64_t refused_from_others_ = 0;                       // sources past kMaxSources
};

}  // namespace hasync::net
