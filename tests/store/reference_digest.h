// The digest definitions of table.h and store.h written out naively, for tests to check the
// incremental digests against.
#pragma once

#include <xxhash.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace hasync::store {

inline uint64_t ReferenceRecordDigest(std::string_view key, std::string_view value) {
  std::string bytes;
  bytes.push_back(static_cast<char>(key.size() & 0xff));
  bytes.push_back(static_cast<char>(key.size() >> 8));
  bytes.append(key);
  bytes.append(value);
  return XXH3_64bits(bytes.data(), bytes.size());
}

inline uint64_t ReferenceTableEntryDigest(std::string_view name, uint64_t table_digest) {
  std::string bytes(name);
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>(table_digest >> (8 * i)));
  return XXH3_64bits(bytes.data(), bytes.size());
}

}  // namespace hasync::store
