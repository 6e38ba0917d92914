#include "store/key_index.h"

// Inlined: short keys hash several times faster without the library call and dispatch.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cassert>
#include <random>
#include <utility>

namespace hasync::store {
namespace {

constexpr size_t kMinCapacity = 8;
constexpr size_t kStepSlotsPerRecord = 8;  // a step looks at up to 8 slots per record it may move
constexpr size_t kPrefetchAhead = 16;      // slots: 7 to 14 records, enough misses in flight
// A step starts loading the records it will move this many slots ahead of the cursor, a few steps
// (a few operations) early, so that they have arrived by then.
constexpr size_t kStepPrefetchSlots = 64;

// Seeds from splitmix64 over one random start per thread: rebuilds are frequent for small tables,
// too frequent to ask the kernel for entropy each time.
uint64_t NewSeed() {
  thread_local uint64_t state = uint64_t{std::random_device{}()} << 32 | std::random_device{}();
  uint64_t z = (state += 0x9e3779b97f4a7c15);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

// The fewest slots (a power of two >= 8) that hold `n` records without passing 7/8 full.
size_t CapacityFor(size_t n) { return std::max(kMinCapacity, std::bit_ceil((n * 8 + 6) / 7)); }

}  // namespace

KeyIndex::KeyIndex(unsigned max_distance) : max_distance_(max_distance), seed_(NewSeed()) {
  assert(max_distance >= 1 && max_distance <= 255);  // a distance is one byte
}

uint64_t KeyIndex::Hash(std::string_view key) const {
  return XXH3_64bits_withSeed(key.data(), key.size(), seed_);
}

// Every old_ record sits at or after the cursor (the cursor has moved every record below it, and no
// old_ record ever moves) and at most max_distance_ - 1 slots after its home.
bool KeyIndex::MayBeInOld(uint64_t hash) const {
  return migrating() && (hash & (old_.capacity() - 1)) + max_distance_ > cursor_;
}

// Both arrays during a migration: first the one more likely to hold `key`.
Record** KeyIndex::LookupMigrating(std::string_view key, uint64_t hash) const {
  const SlotArray* first = &current_;
  const SlotArray* second = MayBeInOld(hash) ? &old_ : nullptr;
  // Not reached by the cursor yet: most likely still in old_, unless it came after the migration
  // began.
  if (second != nullptr && (hash & (old_.capacity() - 1)) >= cursor_) std::swap(first, second);
  if (size_t i = first->Locate(key, hash); i != SlotArray::kNotFound) return first->slot(i);
  if (second == nullptr) return nullptr;
  size_t i = second->Locate(key, hash);
  return i == SlotArray::kNotFound ? nullptr : second->slot(i);
}

// Find and FindSlot spell out the usual case, one array: returning the record loaded for the key
// comparison, rather than its slot to load it from again, keeps lookup hits ~10% faster.
Record* KeyIndex::Find(std::string_view key) const {
  if (size_ == 0) return nullptr;
  uint64_t hash = Hash(key);
  if (!migrating()) [[likely]] {
    size_t i = current_.Locate(key, hash);
    return i == SlotArray::kNotFound ? nullptr : current_.record_at(i);
  }
  Record** slot = LookupMigrating(key, hash);
  return slot == nullptr ? nullptr : *slot;
}

Record** KeyIndex::FindSlot(std::string_view key) {
  Advance();
  if (size_ == 0) return nullptr;
  uint64_t hash = Hash(key);
  if (!migrating()) [[likely]] {
    size_t i = current_.Locate(key, hash);
    return i == SlotArray::kNotFound ? nullptr : current_.slot(i);
  }
  return LookupMigrating(key, hash);
}

void KeyIndex::Insert(Record* r) {
  Advance();
  auto full = [this] { return (size_ + 1) * 8 > capacity() * 7; };
  if (full()) {
    FinishCurrentMigration();  // one is in progress only in the cases key_index.h names
    if (full()) StartMigration(std::max(kMinCapacity, capacity() * 2));
  }
  ++size_;
  if (size_ >= reserved_) reserved_ = 0;
  if (Record* homeless = current_.Place(r, Hash(r->key()), max_distance_)) {
    Rebuild(capacity(), homeless);
  }
}

void KeyIndex::Erase(const Record* r) {
  Advance();
  uint64_t hash = Hash(r->key());
  size_t i = MayBeInOld(hash) ? old_.LocateRecord(r, hash) : SlotArray::kNotFound;
  if (i != SlotArray::kNotFound) {
    old_.Vacate(i);
    if (--old_size_ == 0) EndMigration();
  } else {
    i = current_.LocateRecord(r, hash);
    assert(i != SlotArray::kNotFound);
    current_.ShiftOut(i);
  }
  --size_;
  auto sparse = [this] {
    size_t floor = reserved_ != 0 ? CapacityFor(reserved_) : kMinCapacity;
    return capacity() > floor && size_ * 8 < capacity();
  };
  if (sparse()) {
    FinishCurrentMigration();
    if (sparse()) StartMigration(capacity() / 2);
  }
}

void KeyIndex::Reserve(size_t n) {
  reserved_ = n > size_ ? n : 0;
  size_t capacity = CapacityFor(n);
  if (capacity <= this->capacity()) return;
  if (size_ == 0) {
    Clear();
    reserved_ = n;
    current_ = SlotArray(capacity);
  } else if (!migrating()) {
    StartMigration(capacity);
  }  // else EndMigration starts the next one, to the reserved capacity
}

void KeyIndex::FinishMigration() {
  while (migrating()) Step(kMaxStepRecords);  // and the one a Reserve has queued, if any
}

// Empties the old array now, but leaves a migration that its end starts (to a reserved capacity)
// to the steps of later operations. Each migration drains a different capacity than the next.
void KeyIndex::FinishCurrentMigration() {
  for (size_t draining = old_capacity(); migrating() && old_capacity() == draining;) {
    Step(kMaxStepRecords);
  }
}

void KeyIndex::Clear() {
  seed_ = NewSeed();
  current_ = SlotArray();
  old_ = SlotArray();
  retired_ = RetiredSlots();
  cursor_ = prefetched_ = old_size_ = size_ = reserved_ = 0;
}

void KeyIndex::SetStepRecordsForTesting(size_t records) {
  assert(records <= kMaxStepRecords);
  step_records_ = records;
}

// One migration step: moves up to `records` records from the old array to the current one, looking
// at no more than kStepSlotsPerRecord slots for each, and ends the migration when the old array is
// empty.
void KeyIndex::Step(size_t records) {
  assert(migrating() && records <= kMaxStepRecords);
  // Each record once; a null pointer is fine (prefetches never fault), and so is one freed since.
  // The slots holding their pointers are loaded twice as far ahead: the hardware hardly sees this
  // walk as sequential, interleaved as it is with the operations' own random accesses.
  for (size_t e = std::min(old_.capacity(), cursor_ + kStepPrefetchSlots); prefetched_ < e;) {
    if (prefetched_ % SlotArray::kGroupSlots == 0) {
      old_.PrefetchGroup((prefetched_ + kStepPrefetchSlots) & (old_.capacity() - 1));
    }
    __builtin_prefetch(old_.record_at(prefetched_++));
  }
  size_t end = std::min(old_.capacity(), cursor_ + records * kStepSlotsPerRecord);
  size_t from[kMaxStepRecords];
  size_t count = 0;
  for (; cursor_ < end && count < records; ++cursor_) {
    if (old_.record_at(cursor_) != nullptr) from[count++] = cursor_;
  }
  // Hash every key, then place every record. The new homes need no prefetching: under the same
  // seed, records taken in old slot order land in new slot order too, in two streams.
  uint64_t hash[kMaxStepRecords];
  for (size_t k = 0; k < count; ++k) hash[k] = Hash(old_.record_at(from[k])->key());
  for (size_t k = 0; k < count; ++k) {
    Record* r = old_.record_at(from[k]);
    old_.Vacate(from[k]);
    --old_size_;
    if (Record* homeless = current_.Place(r, hash[k], max_distance_)) {
      // A run too long (adversarial keys): `r` is in current_ or is `homeless`, the records of
      // the batch not placed yet are still in old_; Rebuild gathers all three places.
      Rebuild(capacity(), homeless);
      return;
    }
  }
  assert(cursor_ < old_.capacity() || old_size_ == 0);  // no record hides behind the cursor
  if (old_size_ == 0) EndMigration();
}

void KeyIndex::StartMigration(size_t capacity) {
  assert(!migrating());
  if (size_ == 0) {  // nothing to move; an empty index may as well change its seed
    current_ = SlotArray(capacity);
    seed_ = NewSeed();
    return;
  }
  old_ = std::move(current_);
  current_ = SlotArray(capacity);
  old_size_ = size_;
  cursor_ = prefetched_ = 0;
}

void KeyIndex::EndMigration() {
  retired_ = old_.Retire();
  cursor_ = prefetched_ = old_size_ = 0;
  if (reserved_ != 0 && CapacityFor(reserved_) > capacity()) StartMigration(CapacityFor(reserved_));
}

// Moves every record of both arrays (and `extra`, if not null) into `capacity` fresh slots under a
// new seed, all at once.
void KeyIndex::Rebuild(size_t capacity, Record* extra) {
  SlotArray current = std::move(current_);
  SlotArray old = std::move(old_);
  old_ = SlotArray();
  cursor_ = prefetched_ = old_size_ = 0;
  for (;; capacity *= 2) {  // still a run too long: spread the keys over more slots
    current_ = SlotArray(capacity);
    seed_ = NewSeed();
    bool placed =
        extra == nullptr || current_.Place(extra, Hash(extra->key()), max_distance_) == nullptr;
    if (placed && PlaceAll(current) && PlaceAll(old)) return;
  }
}

// Places every record of `from` into current_; false as soon as one is left without a slot.
bool KeyIndex::PlaceAll(const SlotArray& from) {
  for (size_t i = 0; i < from.capacity(); ++i) {
    // Rehashing reads every record's key: ask for later ones now so the misses overlap.
    if (i + kPrefetchAhead < from.capacity())
      __builtin_prefetch(from.record_at(i + kPrefetchAhead));
    Record* r = from.record_at(i);
    if (r != nullptr && current_.Place(r, Hash(r->key()), max_distance_) != nullptr) return false;
  }
  return true;
}

}  // namespace hasync::store
