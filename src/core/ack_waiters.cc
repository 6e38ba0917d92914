#include "core/ack_waiters.h"

#include <algorithm>

namespace hasync::core {

TimePoint AckWaiters::next_deadline() const {
  TimePoint next = kNever;
  // Deadlines grow with time, so the oldest write of each list expires first.
  if (!writes_.empty()) next = std::min(next, writes_.front().deadline);
  if (!unsent_.empty()) next = std::min(next, unsent_.front().deadline);
  if (!resynced_.empty()) next = std::min(next, resynced_.front().deadline);
  return next;
}

void AckWaiters::AddWrite(uint64_t seq, uint64_t token, TimePoint deadline, uint64_t stamp) {
  writes_.push_back({seq, token, deadline, stamp});
}

void AckWaiters::AddUnsentWrite(uint64_t token, TimePoint deadline, uint64_t stamp) {
  unsent_.push_back({0, token, deadline, stamp});
}

void AckWaiters::AssignUnsent(uint64_t seq) {
  // Not into writes_: these are older than the incremental writes queued there, and merging
  // them would break that list's deadline order.
  for (Write& w : unsent_) {
    w.seq = seq;
    resynced_.push_back(w);
  }
  unsent_.clear();
}

void AckWaiters::AddTombstone(uint64_t seq, store::Table* table, std::string_view key, uint64_t rvn,
                              uint64_t stamp) {
  tombstones_.push_back({seq, table, std::string(key), rvn, stamp});
}

size_t AckWaiters::Acked(uint64_t seq, std::vector<Event>* events) {
  size_t done = 0;
  for (std::deque<Write>* list : {&writes_, &resynced_}) {
    while (!list->empty() && list->front().seq <= seq) {
      events->push_back(WriteCompleted{list->front().token, Status::Ok(), list->front().stamp});
      list->pop_front();
      ++done;
    }
  }
  while (!tombstones_.empty() && tombstones_.front().seq <= seq) {
    Tombstone& t = tombstones_.front();
    t.table->Purge(t.key, t.rvn, t.stamp);
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
      events->push_back(
          WriteCompleted{w.token,
                         Timeout("the standby did not acknowledge the write in time; it is applied "
                                 "on the active only"),
                         w.stamp});
      ++failed;
    }
    list.erase(std::remove_if(list.begin(), list.end(), late), list.end());
  };
  expire(writes_);
  expire(unsent_);
  expire(resynced_);
  return failed;
}

size_t AckWaiters::FailAll(const Status& why, std::vector<Event>* events) {
  size_t failed = writes();
  for (const Write& w : writes_) events->push_back(WriteCompleted{w.token, why, w.stamp});
  for (const Write& w : resynced_) events->push_back(WriteCompleted{w.token, why, w.stamp});
  for (const Write& w : unsent_) events->push_back(WriteCompleted{w.token, why, w.stamp});
  writes_.clear();
  resynced_.clear();
  unsent_.clear();
  tombstones_.clear();
  return failed;
}

}  // namespace hasync::core
