#include "store/store.h"

#include <xxhash.h>

#include <algorithm>
#include <string>

#include "fmt/format.h"

namespace hasync::store {
namespace {

Status CheckTableName(std::string_view name, const Limits& limits) {
  if (name.empty()) return InvalidArgument("table name is empty");
  uint32_t limit = std::min(limits.max_table_name_bytes, kTableNameBytesHardCap);
  if (name.size() > limit) {
    return TooLarge(fmt::format("table name is {} bytes; limit is {}", name.size(), limit));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    auto byte = static_cast<unsigned char>(name[i]);
    if (byte < 0x21 || byte > 0x7e) {
      return InvalidArgument(fmt::format(
          "table name has byte 0x{:02x} at offset {}; names are printable ASCII without spaces",
          byte, i));
    }
  }
  return Status::Ok();
}

}  // namespace

Store::Store(Limits limits) : limits_(limits) {}

Result<Table*> Store::Open(std::string_view name) {
  if (Table* table = Find(name)) return table;
  if (Status s = CheckTableName(name, limits_); !s.ok()) return s;
  if (tables_.size() >= limits_.max_tables) {
    return TooLarge(
        fmt::format("the store holds {} tables; limit is {}", tables_.size(), limits_.max_tables));
  }
  Table* table = tables_.emplace_back(std::make_unique<Table>(std::string(name), limits_)).get();
  by_name_.emplace(table->name(), table);
  return table;
}

Table* Store::Find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

size_t Store::records() const {
  size_t n = 0;
  for (const auto& table : tables_) n += table->size();
  return n;
}

size_t Store::tombstones() const {
  size_t n = 0;
  for (const auto& table : tables_) n += table->tombstones();
  return n;
}

uint64_t Store::digest() const {
  uint64_t sum = 0;
  std::string entry;
  for (const auto& table : tables_) {
    if (table->size() == 0) continue;
    entry = table->name();
    for (int shift = 0; shift < 64; shift += 8) entry.push_back(char(table->digest() >> shift));
    sum += XXH3_64bits(entry.data(), entry.size());
  }
  return sum;
}

void Store::Clear() {
  for (const auto& table : tables_) table->Clear();
}

}  // namespace hasync::store
