// Store: the named tables of one node and their combined digest.
//
// Tables are created on first use and never removed while the node runs, so a Table* handed out
// stays valid for the store's lifetime and the index order of tables is stable (bulk sync walks
// tables by index). A table name is 1..max_table_name_bytes bytes of printable ASCII without
// spaces (0x21..0x7e), as the wire format requires.
//
// The store digest, which other nodes compare, is
//   sum, wrapping mod 2^64, over the tables with size() > 0 of
//   XXH3_64bits(table name bytes || table digest as 8 bytes little-endian)
// with the table digest defined in table.h. It is 0 for a store without live records.
//
// Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "hasync/status.h"
#include "store/limits.h"
#include "store/table.h"

namespace hasync::store {

class Store {
 public:
  explicit Store(Limits limits = {});

  const Limits& limits() const { return limits_; }

  // The table called `name`, created if needed. Errors: kInvalidArgument for an empty name or
  // one with a byte outside 0x21..0x7e, kTooLarge for a name over the limit or when max_tables
  // tables exist already.
  Result<Table*> Open(std::string_view name);
  Table* Find(std::string_view name) const;  // nullptr if absent

  size_t table_count() const { return tables_.size(); }
  Table& table_at(size_t index) const { return *tables_[index]; }

  size_t records() const;     // live records in all tables
  size_t tombstones() const;  // deletes kept until the peer has them, in all tables
  // Digest of all tables: combines each non-empty table's name with its digest, order-independent,
  // so a table that exists but is empty on one node does not make digests differ.
  uint64_t digest() const;

  // Drops every record and tombstone of every table, leaving no tombstones behind, but keeps the
  // tables themselves: Table pointers and table indexes stay valid (a node that restarts its
  // history).
  void Clear();

 private:
  Limits limits_;
  std::vector<std::unique_ptr<Table>> tables_;
  std::unordered_map<std::string_view, Table*> by_name_;  // views of the tables' own names
};

}  // namespace hasync::store
