// TableObserver: told of every change to a table's live records, so that a layer above the
// store (an address pool's index) can follow the table without re-reading it.
//
// Calls happen inside the table's mutating call, after its own bookkeeping: a replaced record
// is reported as gone (the old value) then live (the new one). Tombstones are not live records
// and are not reported. The observer must not modify the table.
#pragma once

#include <string_view>

namespace hasync::store {

class TableObserver {
 public:
  virtual ~TableObserver() = default;
  virtual void OnLive(std::string_view key, std::string_view value) = 0;
  virtual void OnGone(std::string_view key) = 0;
  virtual void OnCleared() = 0;  // every record went at once (Store::Clear)
  // A live record moved in version order unchanged (Table::Restamp) while a walk of the table
  // was under way, which will then not visit it (table_walk.h).
  virtual void OnRestamped(std::string_view key) { (void)key; }
};

}  // namespace hasync::store
