// ResumePoint: what a consumer tells a node when it (re)connects, so that the node can find
// where the two histories fork (docs/consumers.md, "What flows where"): the last op it
// applied with its term, and a ring of its most recent ops (op, term, section mask), oldest
// first, whose newest entry is that last op. The ring is bounded (at most
// wire::kMaxResumeRingEntries); past it the oldest entries are forgotten, which only makes a
// node that cannot find the fork in the ring replay more, never less.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <vector>

#include "wire/consumer_messages.h"

namespace hasync::consumer {

class ResumePoint {
 public:
  explicit ResumePoint(size_t ring_size)
      : capacity_(std::min(ring_size, wire::kMaxResumeRingEntries)) {}

  // An op was applied (ops increase strictly: the session checks before it applies).
  void Applied(uint64_t op, uint64_t term, uint64_t mask) {
    last_op_ = op;
    last_term_ = term;
    if (capacity_ == 0) return;
    if (ring_.size() == capacity_) ring_.pop_front();
    ring_.push_back({.op = op, .term = term, .mask = mask});
  }

  uint64_t last_op() const { return last_op_; }
  uint64_t last_term() const { return last_term_; }
  std::vector<wire::ResumeEntry> Ring() const { return {ring_.begin(), ring_.end()}; }

 private:
  size_t capacity_;
  uint64_t last_op_ = 0;  // 0: nothing applied yet (the node sends a full replay)
  uint64_t last_term_ = 0;
  std::deque<wire::ResumeEntry> ring_;
};

}  // namespace hasync::consumer
