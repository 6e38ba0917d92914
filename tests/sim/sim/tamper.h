// Tamper: the --break developer modes, which plant a known defect in the simulated network so
// that an invariant can be shown to catch it ("an invariant that cannot fail is a defect").
//
// Each mode rewrites frames a node sends, re-encoded with a valid checksum and sequence number,
// so the receiving core cannot notice the tampering and only the invariants can. The core itself
// is never modified. `--break help` lists the modes and the invariant each one demonstrates.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/effects.h"
#include "sim/frames.h"

namespace hasync::sim {

enum class BreakMode : uint8_t {
  kNone,
  kDropIncremental,  // empties one incremental batch
  kDropAcked,        // empties every incremental batch from 200 ms on; the world then crashes
                     // the active as soon as one of the lost kReplicated writes is acknowledged
  kDropBulk,         // empties one bulk sync batch
  kMaskRoleInit,     // node 2 claims role init in every hello and heartbeat
  kMaskRoleActive,   // node 2 claims role active in every hello and heartbeat
};

struct BreakInfo {
  BreakMode mode;
  std::string_view name;
  std::string_view catches;  // the invariant that catches it
};
std::span<const BreakInfo> BreakModes();
std::optional<BreakMode> ParseBreakMode(std::string_view name);

class Tamper {
 public:
  explicit Tamper(BreakMode mode) : mode_(mode) {}
  BreakMode mode() const { return mode_; }

  // Rewrites `frame`, sent by node slot `from` at `now`, as the mode asks. Returns a note for
  // the trace when it changed the frame, an empty string otherwise.
  std::string Rewrite(int from, core::TimePoint now, Frame& frame);

  // kDropAcked: since when incremental batches are being dropped (kNever before the first).
  core::TimePoint dropping_since() const { return dropping_since_; }

 private:
  BreakMode mode_;
  bool done_ = false;
  core::TimePoint dropping_since_ = core::kNever;
};

}  // namespace hasync::sim
