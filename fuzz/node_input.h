// The input of fuzz_node, shared with make_corpus.cc so that the seeds it writes say what the
// target reads. An input is three control bytes, then the bytes the node's peer sends:
//
//   byte 0, the setup (kSetup* bits):
//     kSetupHello      the target first sends a valid hello of its own (seq 1: right cluster,
//                      version and shared-settings digest, peer id 2), so the input starts past
//                      the handshake with frame 2;
//     kSetupRepair     frames of the input get the right checksum and sequence numbers (see
//                      reseal.h), so mutations reach the handlers rather than the frame checks;
//     kSetupInit       the node connects while still in init, with an empty store; otherwise it
//                      first becomes active alone and writes PreloadedRecords();
//     kSetupRoleShift  two bits: the role the prefixed hello claims (0 init, 1 active, 2 and 3
//                      standby);
//     kSetupOutranks   the prefixed hello has a higher priority than the node's;
//     kSetupPreempt    the prefixed hello asks for preemption and claims a long time active;
//     kSetupTight      small windows and batches, so a few writes reach the unacked bound and
//                      a bulk sync pauses and resumes on acks;
//   byte 1: low 7 bits n: how the input is cut (0: one piece; else pieces of 1..n bytes,
//           sizes varying by position); top bit: the node writes a record after every piece;
//   byte 2: low 7 bits t: virtual time between two pieces, 4 * t ms (the node's timers fire
//           on the way); top bit: the node asks for a switchover after the first piece after
//           which it is active with a standby.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "wire/messages.h"

namespace hasync::fuzz {

inline constexpr uint8_t kSetupHello = 1 << 0;
inline constexpr uint8_t kSetupRepair = 1 << 1;
inline constexpr uint8_t kSetupInit = 1 << 2;
inline constexpr int kSetupRoleShift = 3;
inline constexpr uint8_t kSetupOutranks = 1 << 5;
inline constexpr uint8_t kSetupPreempt = 1 << 6;
inline constexpr uint8_t kSetupTight = 1 << 7;

inline constexpr uint8_t kWriteEachPiece = 0x80;
inline constexpr uint8_t kRequestSwitchover = 0x80;
inline constexpr size_t kControlBytes = 3;

inline constexpr NodeId kNodeId = 1;
inline constexpr NodeId kPeerId = 2;
inline constexpr uint64_t kWallMs = 1'767'225'600'000;  // 2026-01-01, the node's clock at start

// The node under test. Small record limits, so that inputs of a few KiB reach every limit check
// (the limits enter the shared-settings digest the prefixed hello carries).
inline core::CoreConfig NodeConfig(uint8_t setup) {
  using namespace std::chrono_literals;
  core::CoreConfig c;
  c.node_id = kNodeId;
  c.priority = 100;
  c.cluster = "fuzz";
  c.startup_wait = 200ms;
  c.heartbeat_interval = 50ms;
  c.limits.max_key_bytes = 64;
  c.limits.max_value_bytes = 512;
  c.limits.max_table_name_bytes = 16;
  c.limits.max_tables = 8;
  c.max_postponed_writes = 16;
  // Short enough for pieces of input a few hundred ms apart to outlast them.
  c.replicate_timeout = 300ms;
  c.switchover_timeout = 300ms;
  c.postpone_timeout = 300ms;
  if ((setup & kSetupTight) != 0) {
    c.max_batch_bytes = 256;
    c.bulk_window_bytes = 1024;
    c.max_unacked_bytes = 4096;
    c.bulk_step_records = 2;
  }
  return c;
}

// What a preloaded node writes once active, in this order, before its channel comes up; then it
// deletes kPreloadedDeletedKey from the first table.
inline constexpr std::array<std::string_view, 2> kPreloadedTables = {"sessions", "nat"};
inline constexpr std::string_view kPreloadedDeletedKey = "10.0.0.4";
struct PreloadedRecord {
  std::string_view table;
  std::string key;
  std::string value;
};
inline std::vector<PreloadedRecord> PreloadedRecords() {
  std::vector<PreloadedRecord> records;
  for (int i = 0; i < 6; ++i) {
    records.push_back(
        {kPreloadedTables[i % 2], "10.0.0." + std::to_string(i), std::string(10 * i, 'v')});
  }
  return records;
}

// The hello kSetupHello sends for the peer, valid for NodeConfig(setup).
inline wire::Hello PeerHello(uint8_t setup) {
  core::CoreConfig config = NodeConfig(setup);
  wire::Hello h;
  h.node_id = kPeerId;
  h.priority = (setup & kSetupOutranks) != 0 ? 200 : 50;
  int role = (setup >> kSetupRoleShift) & 3;
  h.role = static_cast<uint8_t>(role == 3 ? 2 : role);
  h.flags = (setup & kSetupPreempt) != 0 ? wire::kHelloFlagPreempt : 0;
  h.gvn = 3;
  h.active_ms = h.role == 1 && (setup & kSetupPreempt) != 0 ? 3'600'000 : 0;
  h.config_digest = core::SharedConfigDigest(config);
  h.hlc = (kWallMs + 5) << 16;
  h.cluster = config.cluster;
  return h;
}

}  // namespace hasync::fuzz
