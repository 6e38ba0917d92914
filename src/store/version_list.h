// VersionList: the records of one table in version order, oldest first, linked through the
// prev/next fields of their headers. Every operation is O(1) plus one step per open walk; the
// list owns nothing.
//
// It also keeps the open walks (table_walk.h) valid. A walk stands after the last record it
// visited and stops at the newest record that has not moved since it began; when either record
// leaves its place, the walk's mark moves back to the record before it, so that what lies between
// the two marks is always what the walk has still to visit. A record that moves unchanged (a
// bulk-sync step) before the walk met it is noted, and the walk visits it at its end.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "store/record.h"

namespace hasync::store {

class KeyIndex;
class VersionList;

// A walk's place, shared by the walk and the list so that either may go first.
struct WalkState {
  // A record moved past `last` unchanged before the walk met it: its key ends at key_end in
  // `postponed_keys`; the walk visits it at its end if it still has this stamp (a write
  // stamps anew; moving it again unchanged, as the next bulk sync does, changes its RVN only).
  struct Postponed {
    size_t key_end;
    uint64_t stamp;
  };

  bool RegionLeft() const { return last != nullptr && after != last; }
  void Postpone(const Record& r) {
    postponed_keys.append(r.key());
    postponed.push_back({postponed_keys.size(), r.stamp});
  }

  const VersionList* list = nullptr;  // null once the table is cleared or gone (lost)
  const KeyIndex* index = nullptr;    // the table's, to find the postponed records again
  const Record* after = nullptr;      // the last record visited; null: none still in the list
  const Record* last = nullptr;       // the last record to visit; null: none is left
  std::string postponed_keys;         // one buffer: no allocation per record
  std::vector<Postponed> postponed;
  size_t postponed_next = 0;  // the next of `postponed` to visit
};

class VersionList {
 public:
  ~VersionList() { Reset(); }

  Record* oldest() const { return oldest_; }

  // `r` must not be in a list.
  void PushNewest(Record* r) {
    r->prev = newest_;
    r->next = nullptr;
    (newest_ ? newest_->next : oldest_) = r;
    newest_ = r;
  }

  // `r` must be in this list.
  void Unlink(Record* r) {
    if (!walks_.empty()) StepBack(r);
    (r->prev ? r->prev->next : oldest_) = r->next;
    (r->next ? r->next->prev : newest_) = r->prev;
    r->prev = r->next = nullptr;
  }

  std::shared_ptr<WalkState> OpenWalk(const KeyIndex* index) {
    Prune();
    walks_.push_back(std::make_shared<WalkState>());
    walks_.back()->list = this;
    walks_.back()->index = index;
    walks_.back()->last = newest_;
    return walks_.back();
  }

  // A bulk-sync step: the oldest record, its content unchanged (only its RVN), goes to the
  // newest end. A walk that has visited nothing still in the list has not met it (it is the
  // first of what the walk has left): that walk visits it at its end instead.
  void MoveOldestUnchangedToNewest() {
    Record* r = oldest_;
    for (const std::shared_ptr<WalkState>& w : walks_) {
      if (w.use_count() > 1 && w->after == nullptr && w->RegionLeft()) w->Postpone(*r);
    }
    MoveToNewest(r);
  }

  // True if an open walk may still have to visit a record: whoever moves one unchanged (other
  // than the oldest) must then see to it some other way.
  bool WalkUnderWay() const {
    return std::any_of(walks_.begin(), walks_.end(), [](const std::shared_ptr<WalkState>& w) {
      return w.use_count() > 1 && w->RegionLeft();
    });
  }

  void MoveToNewest(Record* r) {
    if (r == newest_) {
      // It stays where it is, but it changed: no walk may visit it now.
      if (!walks_.empty()) StepBack(r);
      return;
    }
    Unlink(r);
    PushNewest(r);
  }

  // Forgets every record without touching them (the caller frees them); the walks are lost.
  void Reset() {
    oldest_ = newest_ = nullptr;
    for (const std::shared_ptr<WalkState>& w : walks_) {
      w->list = nullptr;
      w->after = nullptr;
    }
    walks_.clear();
  }

 private:
  // A walk only the list still holds was closed.
  void Prune() {
    std::erase_if(walks_, [](const std::shared_ptr<WalkState>& w) { return w.use_count() == 1; });
  }
  void StepBack(const Record* r) {
    for (const std::shared_ptr<WalkState>& w : walks_) {
      if (w->after == r) w->after = r->prev;
      if (w->last == r) w->last = r->prev;
    }
  }

  std::vector<std::shared_ptr<WalkState>> walks_;
  Record* oldest_ = nullptr;
  Record* newest_ = nullptr;
};

}  // namespace hasync::store
