// Makes a mutated byte stream pass the frame layer's integrity checks, so that libFuzzer's
// mutations reach the headers' other checks, the decoders and the node's handlers instead of
// dying at the checksum (which no mutation gets right by chance). Frames are taken as far as
// their length fields delimit them; the first length that makes no sense ends the repair and
// leaves the rest as it is.
#pragma once

#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "wire/codec.h"
#include "wire/frame.h"

namespace hasync::wire::fuzz {

// Rewrites the checksum of every frame in `s`; with `first_seq`, also numbers the frames from it
// (1, 2, 3, ... for a whole connection), so that frames the mutator inserted, dropped or
// duplicated do not fail the sequence check either.
inline void Reseal(std::vector<uint8_t>& s, std::optional<uint64_t> first_seq = std::nullopt) {
  constexpr size_t kSeqAt = 8;
  size_t at = 0;
  uint64_t seq = first_seq.value_or(0);
  while (s.size() - at >= kFrameOverheadBytes) {
    uint64_t length = LoadLE<uint32_t>(s.data() + at);
    if (length < kFrameOverheadBytes - 4 || length + 4 > s.size() - at) return;
    if (first_seq) StoreLE<uint64_t>(s.data() + at + kSeqAt, seq++);
    size_t sum_at = at + 4 + length - kFrameTrailerBytes;
    StoreLE<uint64_t>(s.data() + sum_at, XXH3_64bits(s.data() + at + 4, sum_at - at - 4));
    at += 4 + length;
  }
}

}  // namespace hasync::wire::fuzz
