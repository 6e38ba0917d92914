// Configuration of one node's sans-IO core: identity, timers, batching and the bounds that keep
// a slow peer from growing memory. Every duration is in the core's virtual time (nanoseconds).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "hasync/types.h"
#include "store/limits.h"

namespace hasync::core {

using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::nanoseconds;  // since an arbitrary, per-node epoch
using namespace std::chrono_literals;

// The most any node puts in one records batch before flushing it, whatever its tuning, so a
// receiver can size its frame limit without knowing the sender's settings.
inline constexpr size_t kMaxBatchBytes = 1u << 20;

struct CoreConfig {
  NodeId node_id = 1;
  uint8_t priority = 100;  // higher wins the active role at start
  std::string cluster = "hasync";
  bool preempt = false;  // a higher-priority standby takes the active role back

  Duration heartbeat_interval = 50ms;
  uint32_t dead_after_missed = 3;  // peer declared dead after this many silent intervals
  Duration startup_wait = 500ms;   // a node alone waits this long before it becomes active

  uint64_t bulk_rate = 0;                       // records/s during bulk sync; 0 = unlimited
  uint64_t reconcile_rate = 0;                  // records/s a reconciliation sends; 0 = unlimited
  size_t max_batch_bytes = size_t{256} * 1024;  // a records frame is flushed at this payload size;
                                                // at most kMaxBatchBytes
  size_t bulk_window_bytes = 16u << 20;         // bulk sync pauses above this many unacked bytes
  size_t max_unacked_bytes = 64u << 20;         // past this the standby is resynchronised by bulk
  uint32_t bulk_step_records = 8192;            // records per bulk step before yielding
  Duration replicate_timeout = 2s;              // a kReplicated write fails after this
  // A peer that keeps sending (so it never trips the silence deadline) but acknowledges none of
  // this node's frames for this long is cut: this node would otherwise hold every frame it
  // sent, without bound. A live peer acknowledges every heartbeat within a round trip.
  Duration ack_timeout = 10s;
  Duration switchover_timeout = 2s;
  size_t max_pending_writes = 1u << 20;  // kReplicated writes waiting for an ack

  // Reconciliation (seed 000). Which active stays when two meet; both nodes must agree.
  SplitBrainRule split_brain_rule = SplitBrainRule::kPriorityFirst;
  // After a reconciliation the active bulk-syncs back to the standby: always, or (false) only
  // if the two differ (the standby's digest in its EOF is not the active's after merging).
  bool bulk_after_reconcile_always = false;
  // Allocate/release writes wait while reconciling: at most this many, at most this long.
  size_t max_postponed_writes = 65536;
  Duration postpone_timeout = 5s;

  store::Limits limits;
  // Settings of the layers above the core that both nodes must share too (the address pools'
  // definitions), folded into SharedConfigDigest; 0 when there are none.
  uint64_t application_digest = 0;
};

// A hash of the settings both nodes must agree on (sent in the hello): the record limits, or
// one node would refuse records the other accepted, and the split-brain rule, or both could
// keep the active role.
uint64_t SharedConfigDigest(const CoreConfig& config);

// The largest frame a node accepts: the largest batch plus one maximal record, never under
// 4 MiB. Both nodes derive it from the same limits (checked by LimitsDigest), so a batch one
// sends the other always accepts.
uint32_t MaxFrameBytes(const CoreConfig& config);

}  // namespace hasync::core
