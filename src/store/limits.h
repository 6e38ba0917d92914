// Limits the store enforces on what it will hold. Over-limit writes are refused, never truncated.
//
// A configured limit above its hard cap acts as the hard cap: the caps are what the wire format
// (u16 key and table name lengths) and the record header (a 25-bit value length) can carry.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hasync::store {

using NodeIdWire = uint16_t;

inline constexpr uint32_t kKeyBytesHardCap = 65535;                // the wire carries a u16
inline constexpr uint32_t kValueBytesHardCap = 16u * 1024 * 1024;  // 16 MiB
inline constexpr uint32_t kTableNameBytesHardCap = 65535;          // the wire carries a u16

struct Limits {
  uint32_t max_key_bytes = 1024;         // 1 KiB (hard cap kKeyBytesHardCap)
  uint32_t max_value_bytes = 64 * 1024;  // 64 KiB (hard cap kValueBytesHardCap)
  uint32_t max_tables = 1024;
  uint32_t max_table_name_bytes = 128;  // hard cap kTableNameBytesHardCap
};

}  // namespace hasync::store
