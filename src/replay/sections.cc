#include "replay/sections.h"

#include <xxhash.h>

namespace hasync::replay {

uint8_t DefaultSection(std::string_view key) {
  return static_cast<uint8_t>(XXH3_64bits(key.data(), key.size()) >> 58);
}

}  // namespace hasync::replay
