// KeyIndex: finds a table's record by key. Robin Hood open addressing over record pointers, 9 bytes
// a slot (slot_array.h), resized incrementally so that no call pauses the node's thread.
//
// The index doubles when an insert would take it past 7/8 full: Robin Hood keeps probes short up
// to that load (a hit reads ~4.5 slots on average at 7/8), while beyond ~0.9 the shifting done by
// inserts and deletes grows like 1/(1-load)^2. It halves below 1/8 full (down to 8 slots), so a
// drained table gives memory back. Hashes are not stored, so moving a record reads its key (a cache
// miss unless prefetched) rather than spend 4 to 8 more bytes on each.
//
// Resizing is incremental, as in Redis's dict. A resize allocates the new array and keeps the old
// one; from then on every Insert, Erase and FindSlot first takes one step: it moves up to
// kStepRecords records (looking at no more than 8 slots per record) from the old array to the new
// one, in slot order, having prefetched them a few steps earlier (~0.5 us a step, so an Upsert of a
// new key, which takes two, costs ~1 us more while a resize is under way). Until the old array is
// empty, lookups and erases consult both arrays (but not the old one for a key whose records would
// sit below the cursor); inserts go to the new one. A record leaves the old array by
// SlotArray::Vacate, so nothing there ever moves: the cursor skips no record, and Robin Hood order
// holds in both arrays. Once empty, the old array is retired: later operations unmap its pages a
// piece at a time (RetiredSlots), since unmapping tens of megabytes at once takes milliseconds.
//
// A migration ends long before the next resize is due: after a doubling from C slots it takes at
// most C/8 steps, while the next doubling needs 7C/8 more inserts and a halving 5C/8 erases; after
// a halving from 2C slots it takes at most C/16 steps, while the next halving needs C/8 erases. A
// resize that comes due during a migration all the same (a test's tiny steps can cause one) first
// finishes it. Memory: at rest one array, as before; during a migration both (1.5 times the index
// after a doubling), as a stop-the-world rebuild also held them, but only for its duration.
//
// Keys are hashed with XXH3_64bits under a random seed, which makes it hard for whoever chooses the
// keys (clients, or the traffic behind session keys) to aim them at one slot; XXH3 is no keyed PRF,
// so this raises the bar rather than proves anything. The seed is chosen again whenever the index
// is empty and at every full rebuild, but a resize keeps it: both arrays of a migration share it,
// so a lookup hashes its key once and a step, walking the old array in order, fills the new one
// nearly in order too (a record's new home is its old one, or that plus the old capacity). A
// distance must fit in a byte; an insert (or a migration step) that would need more (random keys
// never do at these loads) makes the index finish any migration and rebuild all at once under a new
// seed, doubling if the new seed alone does not help. That path pauses ~150 ns per record held and
// is reached only by adversarial keys.
//
// Not thread-safe. Holds record pointers but owns no record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/record.h"
#include "store/slot_array.h"

namespace hasync::store {

class KeyIndex {
 public:
  static constexpr size_t kStepRecords = 8;  // records one migration step moves, at most
  static constexpr size_t kMaxStepRecords = 64;

  // `max_distance` (1..255) bounds how far a record may sit from its home slot; tests lower it
  // to exercise the rebuilds that a run too long causes.
  explicit KeyIndex(unsigned max_distance = 255);
  KeyIndex(const KeyIndex&) = delete;
  KeyIndex& operator=(const KeyIndex&) = delete;

  // The record whose key is `key`, or nullptr. Moves nothing.
  Record* Find(std::string_view key) const;

  // The slot holding the record whose key is `key`, or nullptr. Valid until the index next
  // changes; the caller may put a replacement block for the same key into it. Takes one migration
  // step first.
  Record** FindSlot(std::string_view key);

  // `r` must not share its key with any record in the index.
  void Insert(Record* r);

  // `r` must be in the index.
  void Erase(const Record* r);

  // Prepares for `n` records (those held included): until the index holds `n`, inserts cause no
  // resize and erases do not shrink it below that. Allocates the array at once if the index is
  // empty; otherwise migrates to it step by step (after the migration in progress, if any).
  // Never shrinks the index. Reserve(0) drops a reservation.
  void Reserve(size_t n);

  // Completes a migration in progress now, and the one a Reserve has queued behind it: a pause of
  // 50 to 150 ns per record moved, as for a stop-the-world resize.
  void FinishMigration();

  // Forgets every record and reservation and frees all slots.
  void Clear();

  size_t size() const { return size_; }
  size_t capacity() const { return current_.capacity(); }  // slots; 0 or a power of two >= 8
  bool migrating() const { return old_.capacity() != 0; }
  size_t old_capacity() const { return old_.capacity(); }  // 0 unless migrating
  // Memory held for slots: the current array, the old one while migrating, and the part of a
  // retired array not yet given back.
  size_t slot_bytes() const { return current_.bytes() + old_.bytes() + retired_.bytes(); }

  // Test hook: makes each operation's step move at most `records` (0..kMaxStepRecords), so that a
  // migration lasts many operations; with 0, a migration ends only when finished explicitly or
  // when the next resize comes due.
  void SetStepRecordsForTesting(size_t records);

 private:
  // One bounded piece of background work, done by each Insert, Erase and FindSlot: a migration
  // step, or else unmapping part of a retired array.
  void Advance() {
    if (migrating()) {
      Step(step_records_);
    } else if (!retired_.empty()) {
      retired_.ReleaseSome();
    }
  }
  uint64_t Hash(std::string_view key) const;
  bool MayBeInOld(uint64_t hash) const;
  Record** LookupMigrating(std::string_view key, uint64_t hash) const;
  void Step(size_t records);
  void FinishCurrentMigration();
  void StartMigration(size_t capacity);
  void EndMigration();
  void Rebuild(size_t capacity, Record* extra);
  bool PlaceAll(const SlotArray& from);

  const unsigned max_distance_;
  size_t step_records_ = kStepRecords;
  SlotArray current_;      // where inserts go
  SlotArray old_;          // being drained; no slots unless migrating
  RetiredSlots retired_;   // a drained array's memory, on its way back to the kernel
  size_t cursor_ = 0;      // old_ slots below this hold no record
  size_t prefetched_ = 0;  // old_ slots below this have had their records prefetched
  size_t old_size_ = 0;
  size_t size_ = 0;      // records in both arrays
  size_t reserved_ = 0;  // Reserve(n) in force until size_ reaches it; 0 if none
  uint64_t seed_ = 0;
};

}  // namespace hasync::store
