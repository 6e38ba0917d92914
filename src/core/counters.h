// Counters: what a node has done, for operators (metrics) and tests. Plain monotonic numbers;
// failures of peer input are counted per class, as pfsync does, so they are visible and not
// just logged.
#pragma once

#include <cstdint>

namespace hasync::core {

struct Counters {
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t records_sent = 0;  // upserts and deletes, incremental and bulk
  uint64_t records_received = 0;
  uint64_t writes = 0;  // local writes applied
  // Local writes refused, by why (the caller got the Status that says so).
  uint64_t writes_refused_not_active = 0;  // this node is not active
  uint64_t writes_refused_too_large = 0;   // key, value or table name over a limit; max_tables
  uint64_t writes_refused_invalid = 0;     // empty key, malformed table name
  uint64_t writes_refused_busy = 0;        // a bounded queue is full, a switchover runs,
                                           // no standby for a replicated write, shutting down
  uint64_t replicated_acked = 0;           // kReplicated writes the standby confirmed
  uint64_t replicated_failed = 0;          // kReplicated writes that timed out or lost their peer
  uint64_t bulk_syncs_started = 0;
  uint64_t bulk_syncs_completed = 0;  // EOF sent and acknowledged (active) or received (standby)
  uint64_t records_swept = 0;         // erased on a standby after a bulk EOF
  uint64_t resyncs = 0;               // bulk syncs forced by a standby that fell behind
  uint64_t failovers = 0;             // became active because the peer was lost
  uint64_t switchovers = 0;           // planned handovers completed, either side
  uint64_t channels_up = 0;
  uint64_t channels_lost = 0;
  // Hellos refused, by what differed.
  uint64_t rejected_version = 0;
  uint64_t rejected_cluster = 0;
  uint64_t rejected_node_id = 0;   // the peer claims this node's id
  uint64_t rejected_settings = 0;  // shared settings (limits, split_brain_rule) differ
  // Peer input that closed the channel, by class. Frame checks (wire::FrameError):
  uint64_t frame_errors_length = 0;
  uint64_t frame_errors_too_large = 0;  // over MaxFrameBytes
  uint64_t frame_errors_checksum = 0;
  uint64_t frame_errors_header = 0;
  uint64_t frame_errors_type = 0;
  uint64_t frame_errors_sequence = 0;
  uint64_t payload_errors = 0;     // a payload that does not decode
  uint64_t limit_errors = 0;       // a record or table over this node's limits
  uint64_t order_errors = 0;       // a valid message not allowed in the current state
  uint64_t peer_timeouts = 0;      // peer silent past the deadline
  uint64_t digest_mismatches = 0;  // after a sync the stores differed (a bug; resynchronised)

  // Reconciliation (docs/reconciliation.md).
  uint64_t split_brains = 0;              // two actives met
  uint64_t reconciliations_sent = 0;      // completed as the yielding standby
  uint64_t reconciliations_received = 0;  // completed as the active
  uint64_t merge_inserted = 0;            // records the active did not hold
  uint64_t merge_replaced = 0;            // the received record won
  uint64_t merge_deleted = 0;             // a received delete won
  uint64_t merge_kept = 0;                // the local record won or was the same write
  uint64_t merge_written = 0;             // a merge function wrote a combined value
  uint64_t merge_swept = 0;               // erased after finishing an interrupted bulk sync
  uint64_t postponed = 0;                 // allocate/release writes postponed
  uint64_t postponed_expired = 0;         // failed: reconciliation did not end in time
  uint64_t postponed_failed = 0;          // failed: the node lost the active role or stopped

  uint64_t writes_refused() const {
    return writes_refused_not_active + writes_refused_too_large + writes_refused_invalid +
           writes_refused_busy;
  }
  uint64_t peers_rejected() const {
    return rejected_version + rejected_cluster + rejected_node_id + rejected_settings;
  }
  uint64_t protocol_errors() const {
    return frame_errors_length + frame_errors_too_large + frame_errors_checksum +
           frame_errors_header + frame_errors_type + frame_errors_sequence + payload_errors +
           limit_errors + order_errors;
  }
};

}  // namespace hasync::core
