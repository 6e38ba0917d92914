// EventQueue: the simulator's agenda of future events in virtual time.
//
// Events run in (time, insertion sequence) order: two events due at the same instant run in the
// order they were scheduled, never in pointer or hash order, so a seed replays exactly. An event
// scheduled "now" from inside a running event runs after everything already due now, which is
// how a driver's next turn behaves.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "core/config.h"

namespace hasync::sim {

using core::TimePoint;

class EventQueue {
 public:
  TimePoint now() const { return now_; }
  bool empty() const { return heap_.empty(); }
  TimePoint next_time() const { return heap_.front().at; }

  // Schedules `fn` at `at`; a time in the past means "now" (virtual time never goes back).
  void At(TimePoint at, std::function<void()> fn) {
    heap_.push_back(Item{std::max(at, now_), next_seq_++, std::move(fn)});
    std::push_heap(heap_.begin(), heap_.end(), Later);
  }

  // Removes the earliest event, advances the clock to its time and returns it.
  std::function<void()> Pop() {
    std::pop_heap(heap_.begin(), heap_.end(), Later);
    Item item = std::move(heap_.back());
    heap_.pop_back();
    now_ = item.at;
    return std::move(item.fn);
  }

 private:
  struct Item {
    TimePoint at;
    uint64_t seq;
    std::function<void()> fn;
  };
  // std::*_heap build a max-heap; "later" as less-than puts the earliest event on top.
  static bool Later(const Item& a, const Item& b) {
    return a.at != b.at ? a.at > b.at : a.seq > b.seq;
  }

  std::vector<Item> heap_;
  uint64_t next_seq_ = 0;
  TimePoint now_{0};
};

}  // namespace hasync::sim
