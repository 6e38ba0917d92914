// VersionList: the records of one table in version order, oldest first, linked through the
// prev/next fields of their headers. Every operation is O(1); the list owns nothing.
#pragma once

#include "store/record.h"

namespace hasync::store {

class VersionList {
 public:
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
    (r->prev ? r->prev->next : oldest_) = r->next;
    (r->next ? r->next->prev : newest_) = r->prev;
    r->prev = r->next = nullptr;
  }

  void MoveToNewest(Record* r) {
    if (r == newest_) return;
    Unlink(r);
    PushNewest(r);
  }

  // Forgets every record without touching them (the caller frees them).
  void Reset() { oldest_ = newest_ = nullptr; }

 private:
  Record* oldest_ = nullptr;
  Record* newest_ = nullptr;
};

}  // namespace hasync::store
