// Fuzzes FrameReader with arbitrary byte streams cut into arbitrary chunks, and decodes every
// frame it returns with the decoder of its type (record batches are iterated entry by entry).
//
// Input: byte 0 chooses how the stream is cut (low 7 bits n: 0 feeds it whole, otherwise chunks
// of 1..n bytes, sizes varying by position) and, with its top bit, whether to reseal the stream
// first (write the right checksum into every frame the length fields delimit, so that mutated
// frames get past the checksum and reach the header checks and the decoders); byte 1 sets the
// frame limit (64 + 256 * byte); the rest is the stream.
// Besides "no crash", it checks the reader's promises: after kNotFound it holds less than one
// frame limit, and once failed it stays failed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "fuzz_decode.h"
#include "reseal.h"
#include "wire/codec.h"
#include "wire/frame.h"

namespace {

using hasync::Code;
using hasync::Result;
using hasync::wire::FrameReader;
using hasync::wire::FrameView;

// Drains the reader; returns false once it has failed.
bool Drain(FrameReader& reader, uint32_t limit) {
  for (;;) {
    Result<FrameView> f = reader.Next();
    if (f.ok()) {
      hasync::wire::fuzz::DecodeAny(f->type, f->payload);
      continue;
    }
    if (f.status().code() == Code::kNotFound) {
      if (reader.buffered() >= limit) __builtin_trap();
      return true;
    }
    if (f.status().code() != Code::kProtocol) __builtin_trap();
    if (reader.Next().status().code() != Code::kProtocol) __builtin_trap();
    return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  size_t max_chunk = data[0] & 0x7f;
  uint32_t limit = 64 + 256 * uint32_t{data[1]};
  std::vector<uint8_t> bytes(data + 2, data + size);
  if ((data[0] & 0x80) != 0) hasync::wire::fuzz::Reseal(bytes);
  std::span<const uint8_t> stream(bytes);
  FrameReader reader(limit);
  size_t at = 0;
  for (size_t k = 0; at < stream.size(); ++k) {
    size_t n = max_chunk == 0 ? stream.size() : 1 + (k * 2654435761u + at) % max_chunk;
    n = std::min(n, stream.size() - at);
    reader.Feed(stream.subspan(at, n));
    at += n;
    if (!Drain(reader, limit)) break;
  }
  return 0;
}
