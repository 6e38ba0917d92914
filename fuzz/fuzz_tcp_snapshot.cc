// fuzz_tcp_snapshot: the byte form of a TCP connection snapshot (src/tcp/snapshot_codec.h), as a
// peer or an older build could send it.
//
// Input: byte 0 picks the queue limit (0: the default, otherwise byte * 16 bytes, so that inputs
// of a few KiB reach the limit checks); the rest is the snapshot.
//
// Checks, besides "no crash, no sanitizer report": a snapshot the decoder accepts encodes back to
// the very same bytes (no field lost or reread).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "tcp/snapshot_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  uint32_t limit = data[0] == 0 ? hasync::tcp::kMaxQueueBytes : uint32_t{data[0]} * 16;
  std::span<const uint8_t> bytes(data + 1, size - 1);
  hasync::Result<hasync::tcp::TcpSnapshot> s = hasync::tcp::DecodeSnapshot(bytes, limit);
  if (!s.ok()) return 0;
  std::vector<uint8_t> again;
  hasync::tcp::EncodeSnapshot(*s, again);
  if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) {
    std::abort();
  }
  return 0;
}
