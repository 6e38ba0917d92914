// FrameScanner: the simulator's own, independent reading of the frames a node sends.
//
// The network layer cuts each node's outgoing byte stream into frames before it delivers them:
// to trace them by type, to mark where a bulk EOF ends (for the bulk_complete check) and to let a
// --break mode rewrite one. The scanner validates what the sending core produced (length, flags,
// type, consecutive sequence numbers, XXH3 checksum) without using src/wire's reader, so a bug
// there cannot hide a malformed stream from the wire_valid check.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "wire/frame.h"

namespace hasync::sim {

struct Frame {
  wire::MsgType type;
  uint64_t seq;
  std::vector<uint8_t> bytes;  // the whole frame: length, header, payload, checksum

  std::span<const uint8_t> payload() const {
    return std::span<const uint8_t>(bytes).subspan(wire::kFrameHeaderBytes,
                                                   bytes.size() - wire::kFrameOverheadBytes);
  }
};

class FrameScanner {
 public:
  // Appends `bytes` (what a node just sent) and returns the frames they complete, in order.
  // A malformed stream sets error() and yields nothing more.
  std::vector<Frame> Feed(std::span<const uint8_t> bytes);
  const std::string& error() const { return error_; }
  size_t pending() const { return buf_.size(); }

 private:
  std::vector<uint8_t> buf_;
  uint64_t next_seq_ = 1;
  std::string error_;
};

std::string_view MsgName(wire::MsgType type);

// One line describing a frame's content for the trace ("records incr t0 x3 #7").
std::string DescribeFrame(const Frame& frame);

}  // namespace hasync::sim
