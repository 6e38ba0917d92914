// Store: the named tables of one node and their combined digest.
//
// Tables are created on first use and never removed while the node runs, so a Table* handed out
// stays valid for the store's lifetime and the index order of tables is stable (bulk sync walks
// tables by index). Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "hasync/status.h"
#include "store/limits.h"
#include "store/table.h"

namespace hasync::store {

class Store {
 public:
  explicit Store(Limits limits = {});

  const Limits& limits() const { return limits_; }

  // The table called `name`, created if needed. Errors: empty or over-long name, or
  // max_tables reached.
  Result<Table*> Open(std::string_view name);
  Table* Find(std::string_view name) const;  // nullptr if absent

  size_t table_count() const { return tables_.size(); }
  Table& table_at(size_t index) const { return *tables_[index]; }

  size_t records() const;  // live records in all tables
  // Digest of all tables: combines each non-empty table's name with its digest, order-independent,
  // so a table that exists but is empty on one node does not make digests differ.
  uint64_t digest() const;

  // Erases every record of every table (a node that restarts its history).
  void Clear();

 private:
  Limits limits_;
  std::vector<std::unique_ptr<Table>> tables_;
};

}  // namespace hasync::store
