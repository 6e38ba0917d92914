// Limits the store enforces on what it will hold. Over-limit writes are refused, never truncated.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hasync::store {

using NodeIdWire = uint16_t;

struct Limits {
  uint32_t max_key_bytes = 1024;         // 1 KiB (hard cap 65535: the wire carries a u16)
  uint32_t max_value_bytes = 64 * 1024;  // 64 KiB (hard cap 16 MiB)
  uint32_t max_tables = 1024;
  uint32_t max_table_name_bytes = 128;
};

}  // namespace hasync::store
