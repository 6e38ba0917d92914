// Postponed: the allocate/release writes that reconciliation mode holds back (seed 000,
// transactions 340/345), in arrival order. Bounded by count; each waits until a deadline, then
// fails. The node runs them, oldest first, when reconciliation mode ends.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/effects.h"
#include "hasync/types.h"
#include "wire/record_batch.h"

namespace hasync::core {

struct PostponedWrite {
  wire::RecordOp op;
  std::string table;
  std::string key;
  std::string value;
  Durability durability;
  uint64_t token;
  TimePoint deadline;
};

class Postponed {
 public:
  size_t size() const { return writes_.size(); }
  bool empty() const { return writes_.empty(); }
  TimePoint next_deadline() const { return writes_.empty() ? kNever : writes_.front().deadline; }

  void Add(PostponedWrite write) { writes_.push_back(std::move(write)); }
  // Hands every waiting write over, oldest first, and forgets them.
  std::deque<PostponedWrite> TakeAll() { return std::exchange(writes_, {}); }
  // Fails the writes whose deadline has passed. Returns how many.
  size_t Expire(TimePoint now, std::vector<Event>* events);
  // Fails every write with `why`. Returns how many.
  size_t FailAll(const Status& why, std::vector<Event>* events);

 private:
  std::deque<PostponedWrite> writes_;  // arrival order, hence deadline order
};

}  // namespace hasync::core
