// AckWaiters: what waits on the peer's acknowledgements on the active node.
//  - kReplicated writes, each tied to the seq of the frame that carries its record; a write made
//    while the standby is being resynchronised has no frame yet and is tied to the resync's EOF.
//  - tombstones, dropped from the store once the frame that carried the delete is acknowledged
//    ("deletes are tombstones until the peer has them").
// Both are bounded: the number of waiting writes by config, the tombstones by the unacked-bytes
// bound of the stream that carries them.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/effects.h"
#include "hasync/status.h"
#include "store/table.h"

namespace hasync::core {

class AckWaiters {
 public:
  struct Write {
    uint64_t seq;  // 0 while it waits for a resync's EOF
    uint64_t token;
    TimePoint deadline;
    uint64_t stamp;  // the write's HLC stamp, reported with its completion
  };

  size_t writes() const { return writes_.size() + unsent_.size() + resynced_.size(); }
  TimePoint next_deadline() const;

  void AddWrite(uint64_t seq, uint64_t token, TimePoint deadline, uint64_t stamp);
  void AddUnsentWrite(uint64_t token, TimePoint deadline, uint64_t stamp);
  // The resync's EOF went out as frame `seq`: every unsent write now waits on it.
  void AssignUnsent(uint64_t seq);
  void AddTombstone(uint64_t seq, store::Table* table, std::string_view key, uint64_t rvn,
                    uint64_t stamp);

  // The peer applied every frame up to `seq`: completes writes and purges tombstones.
  // Returns how many writes completed.
  size_t Acked(uint64_t seq, std::vector<Event>* events);
  // Fails every write whose deadline has passed. Returns how many failed.
  size_t Expire(TimePoint now, std::vector<Event>* events);
  // Fails every write (the peer is gone) and forgets the tombstones' frames: the stores stay
  // correct because a later bulk sync sweeps the peer. Returns how many writes failed.
  size_t FailAll(const Status& why, std::vector<Event>* events);
  // Drops tombstones without purging them (they are kept for a later sync).
  void ForgetTombstones() { tombstones_.clear(); }

 private:
  struct Tombstone {
    uint64_t seq;
    store::Table* table;
    std::string key;
    uint64_t rvn;
    uint64_t stamp;
  };
  // Each list is in ascending deadline order, so its front expires first.
  std::deque<Write> writes_;    // ascending seq
  std::vector<Write> unsent_;   // waiting for a resync to start
  std::deque<Write> resynced_;  // waiting for a resync's EOF (seq ascends too)
  std::deque<Tombstone> tombstones_;
};

}  // namespace hasync::core
