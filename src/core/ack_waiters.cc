#include "core/ack_waiters.h"

#include <algorithm>

namespace hasync::core {

TimePoint AckWaiters::next_deadline() const {
  TimePoint next = kNever;
  // Deadlines grow with time, so the oldest write of each list expires first.
  if (!writes_.empty()) next = std::min(next, writes_.front().deadline);
  if (!unsent_.empty()) next = std::min(next, unsent_.front().deadline);
  return next;
}

void AckWaiters::AddWrite(uint64_t seq, uint64_t token, TimePoint deadline) {
  writes_.push_back({seq, token, deadline});
}

void AckWaiters::AddUnsentWrite(uint64_t token, TimePoint deadline) {
  unsent_.push_back({0, token, deadline});
}

void AckWaiters::AssignUnsent(uint64_t seq) {
  for (Write& w : unsent_) {
    w.seq = seq;
    writes_.push_back(w);
  }
  unsent_.clear();
}

void AckWaiters::AddTombstone(uint64_t seq, store::Table* table, std::string_view key,
                              uint64_t rvn) {
  tombstones_.push_back({seq, table, std::string(key), rvn});
}

size_t AckWaiters::Acked(uint64_t seq, std::vector<Event>* events) {
  size_t done = 0;
  while (!writes_.empty() && writes_.front().seq <= seq) {
    events->push_back(WriteCompleted{writes_.front().token, Status::Ok()});
    writes_.pop_front();
    ++done;
  }
  while (!tombstones_.empty() && tombstones_.front().seq <= seq) {
    Tombstone& t = tombstones_.front();
    t.table->Purge(t.key, t.rvn);
    tombstones_.pop_front();
  }
  return done;
}

size_t AckWaiters::Expire(TimePoint now, std::vector<Event>* events) {
  size_t failed = 0;
  auto expire = [&](auto& list) {
    auto late = [now](const Write& w) { return w.deadline <= now; };
    for (const Write& w : list) {
      if (!late(w)) continue;
      events->push_back(WriteCompleted{
          w.token, Timeout("the standby did not acknowledge the write in time; it is applied "
                           "on the active only")});
      ++failed;
    }
    list.erase(std::remove_if(list.begin(), list.end(), late), list.end());
  };
  expire(writes_);
  expire(unsent_);
  return failed;
}

size_t AckWaiters::FailAll(const Status& why, std::vector<Event>* events) {
  size_t failed = writes_.size() + unsent_.size();
  for (const Write& w : writes_) events->push_back(WriteCompleted{w.token, why});
  for (const Write& w : unsent_) events->push_back(WriteCompleted{w.token, why});
  writes_.clear();
  unsent_.clear();
  tombstones_.clear();
  return failed;
}

}  // namespace hasync::core
