// Table: one named set of records, each with a record version number (RVN).
//
// Besides key lookup, a table keeps its records in *version order*: a record moves to the newest
// end whenever it is written or restamped. Because a node only ever stamps records with its current
// global version number (GVN), which never decreases, version order is also ascending RVN order.
// That gives the two walks replication needs in O(1) per record, unaffected by writes between
// steps:
//   - bulk sync: "restamp the oldest record whose RVN is below the GVN" until none is left
//     (seed 000, FIG. 5B: done when no record has RVN < GVN);
//   - the sweep after a bulk sync: "erase every record whose RVN is below the bulk's GVN".
//
// A delete leaves a tombstone (key, RVN and stamp, no value) in version order until Purge() drops
// it, once the peer has it. Tombstones are invisible to Get(), ForEach(), size() and digest().
//
// The digest is order-independent, maintained on every write, so two nodes holding the same live
// records have the same digest whatever order they applied them in. Other nodes and the wire docs
// rely on its exact definition:
//   digest = sum, wrapping mod 2^64, over the live records of
//            XXH3_64bits(key length as u16 little-endian || key bytes || value bytes)
// (XXH3_64bits unseeded, xxHash 0.8). RVN, stamp and origin do not count; neither do tombstones.
// An empty table's digest is 0.
//
// Keys are 1..max_key_bytes bytes and values 0..max_value_bytes bytes (limits.h). Every call but
// ForEach takes O(1) expected time besides copying and hashing the bytes, and EraseOlderThan O(1)
// per record it erases. The key index resizes incrementally (key_index.h): while a resize is under
// way, each write or delete also moves a few records over (~1 us), so no call pauses for a resize,
// however large the table. Version order equals ascending RVN order only while callers honour the
// RVN rule of Upsert and Erase; if one does not, the record still moves to the newest end, and the
// walks stop at the first record not below their bound, possibly leaving older records after it.
//
// Not thread-safe: a table belongs to the thread that drives its node.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "hasync/status.h"
#include "store/limits.h"
#include "store/record_view.h"
#include "store/table_observer.h"
#include "store/table_walk.h"

namespace hasync::store {

class Table {
 public:
  Table(std::string name, const Limits& limits);
  ~Table();
  Table(const Table&) = delete;
  Table& operator=(const Table&) = delete;

  const std::string& name() const;

  // Inserts or replaces the live record `key`, stamps it with `rvn`, moves it to the newest end.
  // Refuses (kTooLarge / kInvalidArgument, table unchanged) a key or value over the limits or an
  // empty key. `rvn` must be >= the RVN of every record in the table (callers stamp with the GVN).
  Status Upsert(std::string_view key, std::string_view value, uint64_t rvn, uint64_t stamp,
                NodeIdWire origin);

  // Turns `key` into a tombstone stamped `rvn` (creating one if the key is unknown, so a delete
  // that arrives before its record still wins), moved to the newest end. Returns false if the key
  // was not live. A key Upsert would refuse (empty or over the limit) gets no tombstone. `rvn` as
  // for Upsert.
  bool Erase(std::string_view key, uint64_t rvn, uint64_t stamp, NodeIdWire origin);

  // Removes `key` entirely, live or tombstone. Returns false if there was nothing.
  bool Remove(std::string_view key);

  // Drops the tombstone of `key` if it is still the same delete: a tombstone with this `rvn`
  // and `stamp` (a later write or delete of the same key keeps it; within one GVN only the stamp
  // tells two deletes apart). Returns true if it dropped one.
  bool Purge(std::string_view key, uint64_t rvn, uint64_t stamp);

  std::optional<RecordView> Get(std::string_view key) const;  // live records only
  // Like Get, but a tombstone is found too (tombstone set, empty value): a merge needs the
  // stamp of a delete.
  std::optional<RecordView> Lookup(std::string_view key) const;

  // Bulk-sync step: if the oldest record (live or tombstone) has RVN < `below`, restamps it with
  // `new_rvn`, moves it to the newest end and returns it; otherwise nullopt.
  std::optional<RecordView> RestampOldest(uint64_t below, uint64_t new_rvn);

  // Erases (without tombstones) every record and tombstone whose RVN is < `below`.
  // Returns how many live records it erased.
  size_t EraseOlderThan(uint64_t below);

  // Gives `key` (live or tombstone) RVN `rvn` and moves it to the newest end, leaving its value,
  // stamp and origin as they are. Returns false if the table holds nothing for `key`. `rvn` as
  // for Upsert.
  bool Restamp(std::string_view key, uint64_t rvn);

  // Drops every tombstone (the peer is known not to hold those keys). Returns how many. O(n).
  size_t DropTombstones();

  // RVN of the oldest record (live or tombstone), or nullopt if the table holds none.
  std::optional<uint64_t> OldestRvn() const;

  // Visits live records in version order (oldest first). `fn` must not modify the table.
  void ForEach(const std::function<void(const RecordView&)>& fn) const;
  // A walk in version order that may stop between calls while the table changes (table_walk.h).
  std::unique_ptr<TableWalk> Walk() const;

  // Prepares the index for `n` records (live and tombstones, those held included) so that loading
  // them causes no resize; costs one allocation. Until the table holds `n` records, removals do
  // not shrink the index below that size either. An empty table gets the slots at once; one that
  // holds records moves them over step by step, as at any resize. Never shrinks the index; a call
  // replaces the previous reservation, and Reserve(0) drops it. A standby calls it when a bulk sync
  // announces its total.
  void Reserve(size_t n);

  // Reports every change of the live records to `observer` from now on (replacing any earlier
  // one); the table holds it weakly, so an observer that went away is simply no longer told.
  void SetObserver(std::weak_ptr<TableObserver> observer);
  bool ObservedBy(const TableObserver* observer) const;

  size_t size() const;             // live records
  size_t tombstones() const;       // tombstones waiting for Purge/Remove
  uint64_t digest() const;         // order-independent digest of the live records
  size_t key_value_bytes() const;  // sum of live key and value sizes, for memory accounting

 private:
  friend class Store;
  friend struct TableTestPeer;  // table_test_peer.h
  void Clear();                 // drops every record and tombstone (Store::Clear)

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hasync::store
