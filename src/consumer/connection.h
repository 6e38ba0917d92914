// Connection: what a ConsumerSession knows of its connection to one endpoint: where it is in
// its life, the frame reader and the sender's frame numbers (each connection numbers its own
// frames from 1, both ways), and the times that pings and the silence deadline are counted
// from.
//
// A connection is either the subscription's (it sends the hello with the resume point, then
// receives updates and carries acks) or, in ack_mode direct, an ack-only one to another node
// (it carries acks to a standby and receives nothing but pings and maybe a welcome).
#pragma once

#include <cstdint>

#include "core/config.h"
#include "core/effects.h"
#include "wire/frame.h"

namespace hasync::consumer {

struct Connection {
  enum class State : uint8_t {
    kIdle,        // none
    kConnecting,  // the driver was asked to dial
    kOpen,        // hello sent; a subscription waits for the welcome
    kSubscribed,  // welcomed (a subscription connection only)
  };

  explicit Connection(uint32_t max_frame_bytes) : reader(max_frame_bytes) {}

  // Connected: hello sent (kOpen) or welcomed.
  bool up() const { return state == State::kOpen || state == State::kSubscribed; }
  // Forgets the connection: a new one starts from scratch.
  void Reset(uint32_t max_frame_bytes) { *this = Connection(max_frame_bytes); }

  uint64_t id = 0;  // tells a connection from the next one to the same endpoint
  State state = State::kIdle;
  bool ack_only = false;
  wire::FrameReader reader;
  uint64_t next_seq = 1;
  core::TimePoint last_sent{0};              // pings go out ping_interval after it
  core::TimePoint last_received{0};          // dead_after after it, the connection is cut
  uint64_t acked_op = 0;                     // the last op acknowledged on this connection
  core::TimePoint redial_at = core::kNever;  // ack-only and closed: dial again then
};

}  // namespace hasync::consumer
