// KeyIndex: finds a table's record by key. Robin Hood open addressing over record pointers.
//
// Slots come in groups of eight: eight one-byte probe distances, then eight record pointers
// (72 bytes), so a slot costs 9 bytes and a probe reads a distance and its pointer from the same or
// the adjacent cache line. Distance 0 marks an empty slot; distance d > 0 means the record sits d-1
// slots after its home slot. Robin Hood insertion keeps every run ordered by home, which gives:
//  - lookups compare keys only where the slot's distance equals the probe's (the same home), so a
//    probe rarely touches a record block besides the one it wants, and a miss stops at the first
//    record closer to its home than the probe is;
//  - deletion without tombstones: the records after the hole shift back one slot.
//
// The index doubles when an insert would take it past 7/8 full: Robin Hood keeps probes short up
// to that load (a hit reads ~4.5 slots on average at 7/8), while beyond ~0.9 the shifting done by
// inserts and deletes grows like 1/(1-load)^2. It halves below 1/8 full (down to 8 slots), so a
// drained table gives memory back. Hashes are not stored: a rebuild reads every record to rehash
// its key (~150 ns a record, nearly all cache misses) rather than spend 4 to 8 more bytes on each.
//
// Keys are hashed with XXH3_64bits under a random seed chosen at every rebuild, which makes it hard
// for whoever chooses the keys (clients, or the traffic behind session keys) to aim them at one
// slot; XXH3 is no keyed PRF, so this raises the bar rather than proves anything. A distance must
// fit in a byte; an insert that would need more (random keys never do at these loads) makes the
// index rebuild under a new seed, doubling if the new seed alone does not help.
//
// Not thread-safe. Holds record pointers but owns no record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "store/record.h"

namespace hasync::store {

class KeyIndex {
 public:
  // `max_distance` (1..255) bounds how far a record may sit from its home slot; tests lower it
  // to exercise the rebuilds that a run too long causes.
  explicit KeyIndex(unsigned max_distance = 255);
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // The record whose key is `key`, or nullptr.
  Record* Find(std::string_view key) const;

  // The slot holding the record whose key is `key`, or nullptr. Valid until the index next
  // changes; the caller may put a replacement block for the same key into it.
  Record** FindSlot(std::string_view key);

  // `r` must not share its key with any record in the index.
  void Insert(Record* r);

  // `r` must be in the index.
  void Erase(const Record* r);

  // Forgets every record and frees all slots.
  void Clear();

  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }  // slots; 0 or a power of two >= 8

 private:
  static constexpr size_t kGroupSlots = 8;
  static constexpr size_t kNotFound = ~size_t{0};

  struct Group {
    uint8_t distance[kGroupSlots];
    Record* record[kGroupSlots];
  };
  static_assert(sizeof(Group) == 72, "9 bytes per slot");

  static uint8_t& DistanceAt(Group* groups, size_t i) {
    return groups[i / kGroupSlots].distance[i % kGroupSlots];
  }
  static Record*& RecordAt(Group* groups, size_t i) {
    return groups[i / kGroupSlots].record[i % kGroupSlots];
  }
  uint8_t& distance(size_t i) const { return DistanceAt(groups_.get(), i); }
  Record*& record(size_t i) const { return RecordAt(groups_.get(), i); }

  size_t Home(std::string_view key) const;
  size_t Locate(std::string_view key) const;  // slot index or kNotFound
  Record* Place(Record* r);
  void Rebuild(size_t capacity, Record* extra);

  const unsigned max_distance_;
  std::unique_ptr<Group[]> groups_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  uint64_t seed_ = 0;
};

}  // namespace hasync::store
