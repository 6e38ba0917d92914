// NodeHarness: drives one core::Node in virtual time for fuzz_node, as the daemon's driver does
// (each call followed by Flush and the effects carried out), and checks what the node does in
// return. The peer is whatever the fuzzer makes up; there is no second node.
//
// After every call it drains the effects completely (so they cannot pile up between calls) and
// traps, like a crash, when the node:
//  - sends bytes that are not valid protocol: every frame it sends must pass a FrameReader and
//    the decoder of its type with the node's own limits, hostile input or not;
//  - sends anything while its channel is closed (after it asked to close it, or was told);
//  - holds more unacknowledged bytes than max_unacked_bytes plus one batch, one record and a
//    few control frames: past the bound the core must resynchronise, not keep queueing;
//  - keeps firing timers without virtual time moving on (a livelock).
// With FUZZ_NODE_TRACE set in the environment it prints the node's log lines, with their virtual
// time, to stderr: run the target on one input to see what the node made of it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/node.h"
#include "wire/frame.h"

namespace hasync::fuzz {

// A check of the harness failed: says which on stderr and aborts, which libFuzzer reports as a
// crash and keeps the input of.
void Require(bool ok, const char* what);

class NodeHarness {
 public:
  explicit NodeHarness(const core::CoreConfig& config);
  NodeHarness(const NodeHarness&) = delete;
  NodeHarness& operator=(const NodeHarness&) = delete;

  core::Node& node() { return node_; }
  core::TimePoint now() const { return now_; }
  bool channel_up() const { return channel_up_; }
  // Whether the node has held any role but active since the channel came up.
  bool left_active() const { return left_active_; }

  void Start();
  void ChannelUp();
  void Bytes(std::span<const uint8_t> bytes);
  // Fires the timers that fall due within `span` of virtual time, in deadline order.
  void Advance(core::Duration span);
  // Drains the effects of a direct call on node().
  void Settle();

 private:
  void CheckSent(std::span<const uint8_t> bytes);

  core::CoreConfig config_;
  core::Node node_;
  core::TimePoint now_{0};
  std::array<core::TimePoint, core::kTimerCount> timers_;
  bool channel_up_ = false;
  bool left_active_ = false;
  wire::FrameReader sent_;  // the node's output on this connection, as its peer reads it
  bool trace_;
};

}  // namespace hasync::fuzz
