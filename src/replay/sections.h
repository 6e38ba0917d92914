// Sections: the unit of selective replay (the seeds' "cookie"). A record belongs to one of 64
// sections; every op carries the mask of the sections it touched, and a replay resends whole
// sections, which replace the consumer's copy of them (so deletes are covered too).
//
// By default a record's section is a hash bucket of its key. An application may give a table
// its own function of the key (all the routes of one VRF in one section, say); it must be
// deterministic and installed alike on both nodes, since either may replay.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace hasync::replay {

inline constexpr unsigned kSectionCount = 64;
using SectionMask = uint64_t;
inline constexpr SectionMask kAllSections = ~SectionMask{0};

// The top 6 bits of the key's XXH3-64: every node and consumer computes the same.
uint8_t DefaultSection(std::string_view key);

// Returns a section 0..63 (higher values are taken modulo 64).
using SectionFunction = std::function<uint8_t(std::string_view key)>;

inline SectionMask SectionBit(uint8_t section) {
  return SectionMask{1} << (section % kSectionCount);
}

}  // namespace hasync::replay
