#include "store/record.h"

// Inlined: short keys hash several times faster without the library call and dispatch.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cassert>
#include <cstddef>
#include <cstring>
#include <new>

namespace hasync::store {

Record* NewRecord(std::string_view key, std::string_view value) {
  assert(!key.empty() && key.size() <= kKeyBytesHardCap && value.size() <= kValueBytesHardCap);
  // One allocation for header, key and value: a record costs one malloc chunk header, not three.
  Record* r = new (::operator new(sizeof(Record) + key.size() + value.size())) Record{};
  r->key_len_le[0] = static_cast<uint8_t>(key.size());
  r->key_len_le[1] = static_cast<uint8_t>(key.size() >> 8);
  std::memcpy(r->bytes(), key.data(), key.size());
  if (!value.empty()) std::memcpy(r->bytes() + key.size(), value.data(), value.size());
  r->value_len = static_cast<uint32_t>(value.size());
  return r;
}

Record* CopyRecord(const Record& r, std::string_view value) {
  Record* copy = NewRecord(r.key(), value);
  copy->rvn = r.rvn;
  copy->stamp = r.stamp;
  copy->origin = r.origin;
  copy->tombstone = r.tombstone;
  return copy;
}

void FreeRecord(Record* r) { ::operator delete(r); }

void SetValue(Record* r, std::string_view value) {
  assert(FitsBlock(*r, value.size()));
  size_t capacity = r->capacity();
  // memmove: `value` may be a view of this very record (a caller rewriting what it just read).
  if (!value.empty()) std::memmove(r->bytes() + r->key_len(), value.data(), value.size());
  r->value_len = static_cast<uint32_t>(value.size());
  r->slack = static_cast<uint32_t>(capacity - value.size());
}

uint64_t ContentDigest(const Record& r) {
  const char* start = reinterpret_cast<const char*>(&r) + offsetof(Record, key_len_le);
  return XXH3_64bits(start, sizeof(r.key_len_le) + r.key_len() + r.value_len);
}

}  // namespace hasync::store
