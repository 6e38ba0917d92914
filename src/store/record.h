// Record: the one heap block that holds a stored record, header and bytes together.
//
// A block is a 40-byte header, then the key, then the value, then at most kMaxSlack unused bytes
// (so a value that changes size a little keeps its block instead of reallocating). The key length
// is kept little-endian in the last two header bytes, so "key length, key, value" - the input of
// the record's digest (see table.h) - is one contiguous run that hashes without a copy.
//
// A tombstone is a block with the key and no value bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "store/limits.h"
#include "store/record_view.h"

namespace hasync::store {

struct Record {
  Record* prev;  // older neighbour in version order; nullptr for the oldest
  Record* next;  // newer neighbour; nullptr for the newest
  uint64_t rvn;
  uint64_t stamp;
  uint32_t value_len : 25;  // 0 for a tombstone
  uint32_t slack : 6;       // unused bytes after the value
  uint32_t tombstone : 1;
  NodeIdWire origin;
  uint8_t key_len_le[2];  // must stay last: the key follows it directly

  size_t key_len() const { return key_len_le[0] | size_t{key_len_le[1]} << 8; }
  const char* bytes() const { return reinterpret_cast<const char*>(this + 1); }
  char* bytes() { return reinterpret_cast<char*>(this + 1); }
  std::string_view key() const { return {bytes(), key_len()}; }
  std::string_view value() const { return {bytes() + key_len(), value_len}; }
  size_t capacity() const { return size_t{value_len} + slack; }  // value bytes the block holds
};

static_assert(sizeof(Record) == 40, "the header is part of the per-record memory budget");
static_assert(offsetof(Record, key_len_le) + 2 == sizeof(Record), "key length must precede key");
static_assert(kValueBytesHardCap < (1u << 25), "value_len is 25 bits");
static_assert(kKeyBytesHardCap <= 0xffff, "key length is 2 bytes");

inline constexpr size_t kMaxSlack = 63;  // the 6-bit slack field

// A block holding `key` and `value` with no slack; the other header fields are zero. The caller
// has checked the sizes against the hard caps and that the key is not empty.
Record* NewRecord(std::string_view key, std::string_view value);

// A block with r's header and key and `value` instead of r's value, with no slack. Leaves r as it
// is: the caller still has to unlink and free it.
Record* CopyRecord(const Record& r, std::string_view value);

void FreeRecord(Record* r);

// True if an `n`-byte value fits r's block without leaving more than kMaxSlack bytes unused.
inline bool FitsBlock(const Record& r, size_t n) {
  return n <= r.capacity() && r.capacity() - n <= kMaxSlack;
}

// Stores `value` in r's block, which it must fit.
void SetValue(Record* r, std::string_view value);

inline RecordView ViewOf(const Record& r) {
  return {r.key(), r.value(), r.rvn, r.stamp, r.origin, r.tombstone != 0};
}

// XXH3_64bits over (key length as u16 little-endian, key bytes, value bytes).
uint64_t ContentDigest(const Record& r);

}  // namespace hasync::store
