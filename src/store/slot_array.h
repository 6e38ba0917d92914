// SlotArray: one Robin Hood open-addressing array of record pointers, the storage under KeyIndex.
//
// Slots come in groups of eight: eight one-byte probe distances, then eight record pointers
// (72 bytes), so a slot costs 9 bytes and a probe reads a distance and its pointer from the same or
// the adjacent cache line. Distance 0 marks an empty slot; distance d > 0 means the record sits d-1
// slots after its home slot (hash & (capacity - 1)). Robin Hood insertion keeps every run ordered
// by home, which gives:
//  - lookups compare keys only where the slot's distance equals the probe's (the same home), so a
//    probe rarely touches a record block besides the one it wants, and a miss stops at the first
//    record closer to its home than the probe is;
//  - deletion without tombstones: the records after the hole shift back one slot (ShiftOut).
//
// An array that is being drained by a migration (key_index.h) loses records through Vacate
// instead: the slot keeps its distance and holds nullptr, so runs passing through it are probed
// exactly as before and no record moves. Such an array never receives a record again.
//
// The array knows no hash function: callers pass each key's 64-bit hash. It owns no record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>

#include "store/record.h"

namespace hasync::store {

// The pages of a slot array that no longer holds records, given back to the kernel a piece at a
// time: unmapping costs ~40 us a megabyte, too long to spend on tens of megabytes in one call.
class RetiredSlots {
 public:
  static constexpr size_t kReleaseBytes = 128 * 1024;  // a piece: ~5 us

  RetiredSlots() = default;
  RetiredSlots(RetiredSlots&& other) noexcept
      : begin_(std::exchange(other.begin_, nullptr)), end_(std::exchange(other.end_, nullptr)) {}
  RetiredSlots& operator=(RetiredSlots&& other) noexcept;  // releases what this held, at once
  ~RetiredSlots();

  bool empty() const { return begin_ == end_; }
  size_t bytes() const { return static_cast<size_t>(end_ - begin_); }
  void ReleaseSome();  // unmaps up to kReleaseBytes

 private:
  friend class SlotArray;
  RetiredSlots(char* begin, char* end) : begin_(begin), end_(end) {}

  char* begin_ = nullptr;  // what is still mapped
  char* end_ = nullptr;
};

class SlotArray {
 public:
  static constexpr size_t kGroupSlots = 8;
  static constexpr size_t kNotFound = ~size_t{0};
  // Arrays of this many slots or more (1152 KiB, a whole number of release pieces) are mapped
  // directly: fresh pages that the kernel zeroes as slots are first written, so allocating even
  // 75 MB costs no pause, and that Retire hands over to be unmapped piece by piece. Smaller
  // arrays come from calloc.
  static constexpr size_t kMapSlots = size_t{1} << 17;

  SlotArray() = default;  // no slots
  SlotArray(SlotArray&& other) noexcept
      : groups_(std::move(other.groups_)), capacity_(std::exchange(other.capacity_, 0)) {}
  SlotArray& operator=(SlotArray&& other) noexcept {
    groups_ = std::move(other.groups_);
    capacity_ = std::exchange(other.capacity_, 0);
    return *this;
  }
  // `capacity` empty slots; `capacity` is a power of two >= kGroupSlots.
  explicit SlotArray(size_t capacity);

  // Leaves this array without slots. Returns its memory if it was mapped, for the caller to
  // release bit by bit; frees a small array at once.
  RetiredSlots Retire();

  size_t capacity() const { return capacity_; }
  size_t bytes() const { return capacity_ / kGroupSlots * sizeof(Group); }

  // The slot holding the record whose key is `key` (hashing to `hash`), or kNotFound. Inline: it
  // is the whole of a lookup.
  size_t Locate(std::string_view key, uint64_t hash) const;
  // The slot holding `r` (whose key hashes to `hash`), or kNotFound. Reads no record.
  size_t LocateRecord(const Record* r, uint64_t hash) const;

  // Robin Hood insertion of `r`, whose key hashes to `hash`: a record takes the slot of any record
  // nearer its home, which then moves on. Returns nullptr, or the record left without a slot (not
  // necessarily `r`) if a run would need a distance over `max_distance`.
  Record* Place(Record* r, uint64_t hash, unsigned max_distance);

  // Removes the record in slot `i`, shifting the rest of its run back one slot.
  void ShiftOut(size_t i);
  // Removes the record in slot `i` but leaves the slot's distance, so no other record moves.
  void Vacate(size_t i) { record(i) = nullptr; }

  // The record in slot `i`: nullptr for an empty or vacated slot.
  Record* record_at(size_t i) const { return record(i); }
  // Slot `i` itself, for a caller that replaces the block of the record in it.
  Record** slot(size_t i) const { return &record(i); }

  // Starts loading both cache lines of the group of slot `i`.
  void PrefetchGroup(size_t i) const {
    const Group* g = &groups_.get()[i / kGroupSlots];
    __builtin_prefetch(g);
    __builtin_prefetch(&g->record[kGroupSlots - 1]);
  }

 private:
  struct Group {
    uint8_t distance[kGroupSlots];
    Record* record[kGroupSlots];
  };
  static_assert(sizeof(Group) == 72, "9 bytes per slot");
  struct FreeGroups {
    FreeGroups() noexcept : mapped_bytes(0) {}
    explicit FreeGroups(size_t bytes) noexcept : mapped_bytes(bytes) {}
    void operator()(Group* groups) const;
    size_t mapped_bytes;  // 0: from calloc
  };

  // The slot whose record satisfies `match`, following the probe run of `hash`; kNotFound if
  // the run ends first.
  template <typename Match>
  size_t Probe(uint64_t hash, Match&& match) const;

  uint8_t& distance(size_t i) const { return groups_.get()[i / kGroupSlots].distance[i % 8]; }
  Record*& record(size_t i) const { return groups_.get()[i / kGroupSlots].record[i % 8]; }

  std::unique_ptr<Group, FreeGroups> groups_;
  size_t capacity_ = 0;
};

template <typename Match>
size_t SlotArray::Probe(uint64_t hash, Match&& match) const {
  if (capacity_ == 0) return kNotFound;
  size_t mask = capacity_ - 1;
  size_t i = hash & mask;
  for (unsigned d = 1;; ++d, i = (i + 1) & mask) {
    unsigned here = distance(i);
    // An empty slot, or a record nearer its home than we are to ours: Robin Hood would have
    // placed what we look for before it.
    if (here < d) return kNotFound;
    if (here == d && match(record(i))) return i;
  }
}

inline size_t SlotArray::Locate(std::string_view key, uint64_t hash) const {
  // nullptr: a slot vacated by a migration.
  return Probe(hash, [key](const Record* r) { return r != nullptr && r->key() == key; });
}

inline size_t SlotArray::LocateRecord(const Record* r, uint64_t hash) const {
  return Probe(hash, [r](const Record* here) { return here == r; });
}

}  // namespace hasync::store
