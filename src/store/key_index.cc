#include "store/key_index.h"

// Inlined: short keys hash several times faster without the library call and dispatch.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <cassert>
#include <random>
#include <utility>

namespace hasync::store {
namespace {

constexpr size_t kMinCapacity = 8;
constexpr size_t kPrefetchAhead = 16;  // slots: 7 to 14 records, enough misses in flight

// Seeds from splitmix64 over one random start per thread: rebuilds are frequent for small tables,
// too frequent to ask the kernel for entropy each time.
uint64_t NewSeed() {
  thread_local uint64_t state = uint64_t{std::random_device{}()} << 32 | std::random_device{}();
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

}  // namespace

KeyIndex::KeyIndex(unsigned max_distance) : max_distance_(max_distance) {
  assert(max_distance >= 1 && max_distance <= 255);  // a distance is one byte
}

size_t KeyIndex::Home(std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_) & (capacity_ - 1);
}

size_t KeyIndex::Locate(std::string_view key) const {
  if (size_ == 0) return kNotFound;
  size_t i = Home(key);
  for (unsigned d = 1;; ++d, i = (i + 1) & (capacity_ - 1)) {
    unsigned here = distance(i);
    // An empty slot, or a record nearer its home than we are to ours: Robin Hood would have
    // placed `key` before it.
    if (here < d) return kNotFound;
    if (here == d && record(i)->key() == key) return i;
  }
}

Record* KeyIndex::Find(std::string_view key) const {
  size_t i = Locate(key);
  return i == kNotFound ? nullptr : record(i);
}

Record** KeyIndex::FindSlot(std::string_view key) {
  size_t i = Locate(key);
  return i == kNotFound ? nullptr : &record(i);
}

void KeyIndex::Insert(Record* r) {
  if ((size_ + 1) * 8 > capacity_ * 7) Rebuild(std::max(kMinCapacity, capacity_ * 2), nullptr);
  ++size_;
  if (Record* homeless = Place(r)) Rebuild(capacity_, homeless);
}

// Robin Hood insertion into the current slots: a record takes the slot of any record nearer its
// home, which then moves on. Returns nullptr, or the record left without a slot (not necessarily
// `r`) if a run would need a distance over max_distance_.
Record* KeyIndex::Place(Record* r) {
  size_t i = Home(r->key());
  for (unsigned d = 1;; ++d, i = (i + 1) & (capacity_ - 1)) {
    unsigned here = distance(i);
    if (here == 0) {
      distance(i) = static_cast<uint8_t>(d);
      record(i) = r;
      return nullptr;
    }
    if (here < d) {
      std::swap(record(i), r);
      distance(i) = static_cast<uint8_t>(d);
      d = here;
    }
    if (d == max_distance_) return r;
  }
}

// Moves every record (and `extra`, if not null) into `capacity` fresh slots under a new seed.
void KeyIndex::Rebuild(size_t capacity, Record* extra) {
  std::unique_ptr<Group[]> old = std::move(groups_);
  size_t old_capacity = capacity_;
  for (;;) {
    groups_ = std::make_unique<Group[]>(capacity / kGroupSlots);  // zeroed: all slots empty
    capacity_ = capacity;
    seed_ = NewSeed();
    bool placed = extra == nullptr || Place(extra) == nullptr;
    for (size_t i = 0; placed && i < old_capacity; ++i) {
      // Rehashing reads every record's key: ask for later ones now so the misses overlap.
      if (i + kPrefetchAhead < old_capacity) {
        __builtin_prefetch(RecordAt(old.get(), i + kPrefetchAhead));
      }
      if (DistanceAt(old.get(), i) != 0) placed = Place(RecordAt(old.get(), i)) == nullptr;
    }
    if (placed) return;
    capacity *= 2;  // still a run too long: spread the keys over more slots
  }
}

void KeyIndex::Erase(const Record* r) {
  size_t mask = capacity_ - 1;
  size_t i = Home(r->key());
  while (record(i) != r) {  // empty slots hold nullptr
    assert(distance(i) != 0);
    i = (i + 1) & mask;
  }
  // Backward shift: pull each following record that is away from its home one slot closer.
  for (size_t next = (i + 1) & mask; distance(next) > 1; i = next, next = (next + 1) & mask) {
    record(i) = record(next);
    distance(i) = static_cast<uint8_t>(distance(next) - 1);
  }
  record(i) = nullptr;
  distance(i) = 0;
  --size_;
  if (capacity_ > kMinCapacity && size_ * 8 < capacity_) Rebuild(capacity_ / 2, nullptr);
}

void KeyIndex::Clear() {
  groups_.reset();
  capacity_ = 0;
  size_ = 0;
}

}  // namespace hasync::store
