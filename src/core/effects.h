// Effects: everything the sans-IO core asks of its driver. The core never touches a socket,
// a thread or a clock; after each call the driver takes the effects and carries them out in
// order: write `send` to the channel, (re)arm or cancel the timers, act on the events.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/config.h"
#include "hasync/status.h"
#include "hasync/types.h"

namespace hasync::core {

enum class TimerId : uint8_t {
  kStartup = 0,    // end of the wait for a peer at start
  kHeartbeat,      // send the next heartbeat
  kPeerDeadline,   // the peer has been silent too long
  kBulkStep,       // continue a bulk sync (pacing or yielding)
  kWriteTimeouts,  // the oldest kReplicated write has waited too long
  kSwitchover,     // the peer did not answer a switchover request
  kPostponed,      // the oldest postponed allocate/release write has waited too long
  kCount,
};
inline constexpr size_t kTimerCount = static_cast<size_t>(TimerId::kCount);

inline std::string_view TimerName(TimerId id) {
  static constexpr std::string_view kNames[kTimerCount] = {
      "startup",       "heartbeat",  "peer deadline", "bulk step",
      "write timeout", "switchover", "postponed"};
  size_t i = static_cast<size_t>(id);
  return i < kTimerCount ? kNames[i] : "unknown";
}
inline constexpr TimePoint kNever = TimePoint::max();

// Arm timer `id` to fire at `deadline` (replacing any earlier arming); kNever cancels it.
struct TimerRequest {
  TimerId id;
  TimePoint deadline;
};

struct RoleChanged {
  Role from;
  Role to;
  std::string reason;
};

// A write that returned "pending" has finished: a kReplicated write, or one that reconciliation
// mode postponed. `stamp`: the write's HLC stamp if it was applied (a kReplicated write that
// failed is still applied on this node), else 0.
struct WriteCompleted {
  uint64_t token;
  Status status;
  uint64_t stamp = 0;
};

// Two active nodes met on the sync channel (a split-brain is over).
struct SplitBrainDetected {
  NodeId peer;
  bool keeps_active;  // this node stays active; otherwise it yields and reconciles
};

// What an active made of the records a reconciliation brought.
struct MergeCounts {
  uint64_t received = 0;  // records and deletes received
  uint64_t inserted = 0;  // records this node did not hold
  uint64_t replaced = 0;  // the received record won over the local one
  uint64_t deleted = 0;   // a received delete won over a local record
  uint64_t kept = 0;      // the local record won (or both were the same write)
  uint64_t written = 0;   // the merge function wrote a combined value
  uint64_t swept = 0;     // records erased because neither sync touched them
};

// A reconciliation ended. On the active, `merged` says what it did; on the yielding standby,
// `sent` how many records it sent. `split_brain`: it resolved a split-brain.
struct ReconcileCompleted {
  NodeId peer = 0;
  bool split_brain = false;
  bool sender = false;
  uint64_t sent = 0;
  MergeCounts merged;
  bool bulk_back = false;  // the active then bulk-syncs to the standby (they differed)
};

struct SwitchoverCompleted {
  Status status;  // ok: this node handed over the active role (or took it)
};

// Why the core closed the channel: a driver paces its reconnects by it (a rejected peer will
// be rejected again; a timed-out one may be back at once).
enum class CloseCause : uint8_t {
  kProtocolError,      // the peer broke the protocol
  kRejected,           // the peer's hello was refused (cluster, version, node id, limits)
  kPeerTimeout,        // the peer was silent past the deadline
  kPeerGoodbye,        // the peer is shutting down
  kSwitchoverTimeout,  // a switchover request went unanswered, or was refused mid-sync
  kReconcileRefused,   // the active refused our reconciliation; a new connection starts over
  kDigestMismatch,     // after a sync the two stores differ: a new connection resynchronises
};

// The driver must close the channel (and later reconnect); the core already treats it as down.
struct CloseChannel {
  std::string reason;
  CloseCause cause = CloseCause::kProtocolError;
};

enum class Severity : uint8_t { kDebug, kInfo, kWarning, kError };
struct LogLine {
  Severity severity;
  std::string text;
};

using Event = std::variant<RoleChanged, WriteCompleted, SwitchoverCompleted, CloseChannel, LogLine,
                           SplitBrainDetected, ReconcileCompleted>;

struct Effects {
  std::vector<uint8_t> send;  // bytes for the channel, in order
  std::vector<TimerRequest> timers;
  std::vector<Event> events;

  bool empty() const { return send.empty() && timers.empty() && events.empty(); }
  void clear() {
    send.clear();
    timers.clear();
    events.clear();
  }
};

}  // namespace hasync::core
