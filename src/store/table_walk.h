// TableWalk: a walk over a table's records in version order (oldest first) that can stop
// between calls and go on later, however the table changes meanwhile. A replay too large for one
// turn reads its table this way, a slice per turn, so that no turn stalls the node.
//
// What it visits is the table as it was when the walk began, less what changed since: every
// record (live or tombstone) the table held then and has not written, deleted, restamped or
// removed since, each once, as it was then. A record that changes while the walk is under way
// moves to the newest end, past where the walk stops, so the walk never meets it; whoever walks
// learns of that change as it happens (here: from the table's observer, as an op). Two moves
// change nothing but the record's place and RVN, and are followed all the same:
//  - a bulk-sync step (Table::RestampOldest) moves the oldest record; if the walk had not met it,
//    the walk notes its key and visits it at its end (so a bulk sync that overtakes the walk
//    costs it one copy of each key it moved);
//  - Table::Restamp (a reconciliation keeping a record) moves any record; while a walk is under
//    way the observer hears of it (TableObserver::OnRestamped), as of a change.
// So the walk ends after at most the number of records the table held at its start.
//
// lost() becomes true when the table is cleared or destroyed. The walk holds no reference to
// the table, so either may go first. An open walk costs each change of the table two compares
// (a closed one too, until the table's next Walk() forgets it).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace hasync::store {

struct RecordView;
struct WalkState;  // shared with the table (table.cc)

class TableWalk {
 public:
  explicit TableWalk(std::shared_ptr<WalkState> state);
  ~TableWalk();
  TableWalk(const TableWalk&) = delete;
  TableWalk& operator=(const TableWalk&) = delete;

  // Looks at up to `max` records from where the walk stopped and visits those it should
  // (tombstones too: view.tombstone). `fn` must not modify the table. Returns how many it
  // visited: fewer than `max` also when postponed records had changed since.
  size_t Step(size_t max, const std::function<void(const RecordView&)>& fn);

  bool done() const;  // nothing left to visit (or lost)
  bool lost() const;

 private:
  std::shared_ptr<WalkState> state_;
};

}  // namespace hasync::store
