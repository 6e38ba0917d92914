// RecordView: a read-only look at one stored record, as the table's reads and walks give it.
#pragma once

#include <cstdint>
#include <string_view>

#include "store/limits.h"

namespace hasync::store {

// The views stay valid until the table is next modified.
struct RecordView {
  std::string_view key;
  std::string_view value;  // empty for a tombstone
  uint64_t rvn = 0;        // record version number
  uint64_t stamp = 0;      // writer's hybrid logical clock; 0 when unknown
  NodeIdWire origin = 0;   // node that wrote it
  bool tombstone = false;
};

}  // namespace hasync::store
