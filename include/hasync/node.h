// hasync::Replica: one node of an active/standby pair, embedded in a program.
//
// The program writes its session records (NAT bindings, conntrack entries, leases) on the
// active node; the replica streams them to the standby, which holds an identical copy and takes
// over when the active goes away. Roles are decided by the pair (priority, then node id).
//
// After a split-brain (the sync link failed while both nodes lived, so both were active and
// both took writes) the pair reconciles when the link returns: one node stays active
// (split_brain_rule), the other sends it every record, the active merges them (per table,
// last writer wins by default, or SetMergeFunction's), then resynchronises the other. Writes
// marked WriteIntent::kAllocate or kRelease wait while the pair reconciles (docs/
// reconciliation.md). Merging by "last writer" compares wall-clock stamps across the two
// nodes: keep their clocks synchronised (NTP).
//
// Threading: the replica runs its own event loop, on an internal thread (Start) or on the
// caller's (Run). Every other method is thread-safe and may be called from any thread except the
// replica's own (from an OnRoleChange callback, say), where it returns kUnavailable rather than
// deadlock. Reads copy the data out, so no reference into the replica's state escapes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "hasync/merge.h"
#include "hasync/status.h"
#include "hasync/types.h"

namespace hasync {

// How the sync channel is secured; exactly one mode must be chosen (Replica::Create refuses
// options that choose none, so a pair never runs unauthenticated by accident):
//  - certificates: TLS 1.3, both nodes present a certificate signed by `ca`, and the peer's
//    must name `peer_name` (a DNS subjectAltName, or the common name when it has none);
//  - psk_file: TLS 1.3 with a pre-shared key read from that file (hex, at least 32 bytes), for
//    labs: whoever holds the key can join, so there is no per-node identity;
//  - insecure: plain TCP, for a dedicated cable; a warning is logged at every start.
struct TlsOptions {
  std::string certificate;  // PEM file: this node's certificate, then any intermediates
  std::string private_key;  // PEM file: its key
  std::string ca;           // PEM file: the CA certificate(s) the peer's must chain to
  std::string peer_name;    // the identity the peer's certificate must carry
  std::string psk_file;     // pre-shared-key mode instead of certificates
  bool insecure = false;
};

// How a consumer's acknowledgements reach the standby: forwarded by the active (one path,
// the default), or sent by the consumer to both nodes itself (direct: the standby's view of the
// consumer does not depend on the active living long enough to forward it).
enum class ConsumerAckMode : uint8_t { kForwarded = 0, kDirect = 1 };

// The consumer port (include/hasync/consumer.h, docs/consumers.md): processes that mirror part
// of the records, follow the active node and, after a failover, get only what they missed.
// The port is plain TCP without authentication: it serves the subscribed tables to whoever
// can reach it, so bind it to loopback or to a network only trusted consumers reach. Both
// nodes should use the same settings (either may be the active that serves the consumers).
struct ConsumerPortOptions {
  std::string listen;  // numeric host:port; empty: no consumer port (the default)
  ConsumerAckMode ack_mode = ConsumerAckMode::kForwarded;
  std::chrono::milliseconds ack_interval{10};  // how often consumers acknowledge
  // A channel whose consumer stays away this long is dropped, its pending queue freed (a
  // consumer that comes back later gets a full replay).
  std::chrono::milliseconds timeout{30000};
  uint32_t max_channels = 1024;  // subscriptions; a new one past it is refused
  uint32_t max_connections = 1024;
  uint32_t max_connections_per_second = 1000;  // more are closed at once (a failover's burst fits)
  // Unacknowledged ops one channel keeps (at most 100000, so a channel's state fits a frame);
  // past it the oldest merge, and replay falls back to sections for them. Lowered at start so
  // that max_channels histories fit in half of max_unacked_bytes (a bulk sync carries them all).
  uint32_t max_pending_ops = 1024;
  // Replay policy (docs/consumers.md): a consumer that missed ops gets their keys again while
  // they number at most replay_keys_max, then whole sections (64 per table); past
  // full_replay_ops missing ops, or full_replay_sections sections (1..64), everything.
  uint32_t replay_keys_max = 4096;
  uint64_t full_replay_ops = 100000;
  uint32_t full_replay_sections = 48;
  // Bytes queued toward one consumer before it counts as behind (it then gets a catch-up replay
  // once it has drained, instead of every update).
  uint64_t window_bytes = 4u << 20;
  uint32_t max_concurrent_replays = 8;
  // Records a replay that resends sections reads from the table in one turn of the event loop;
  // it goes on in the next, so that no turn stalls however large the table.
  uint32_t replay_slice_records = 16384;
};

struct ReplicaOptions {
  NodeId node_id = 1;
  // The peer's id. Only decides who dials (the lower id); 0 means "the other one of 1 and 2".
  NodeId peer_id = 0;
  uint8_t priority = 100;  // higher wins the active role at start
  std::string cluster = "hasync";
  bool preempt = false;                 // take the active role back from a lower-priority peer
  std::string listen = "0.0.0.0:7400";  // numeric host:port; port 0 picks a free one
  std::string peer;                     // numeric host:port; empty for a node without a peer

  std::chrono::milliseconds heartbeat_interval{50};
  uint32_t dead_after_missed = 3;
  std::chrono::milliseconds startup_wait{500};
  std::chrono::milliseconds replicate_timeout{2000};
  uint64_t bulk_rate = 0;       // records/s during a bulk sync; 0 = unlimited
  uint64_t reconcile_rate = 0;  // records/s a reconciliation sends; 0 = unlimited
  uint64_t max_unacked_bytes = 64u << 20;

  uint32_t max_key_bytes = 1024;
  uint32_t max_value_bytes = 64 * 1024;
  uint32_t max_tables = 1024;

  // Which node stays active when two actives meet; both nodes must agree (checked at hello).
  SplitBrainRule split_brain_rule = SplitBrainRule::kPriorityFirst;
  // After a reconciliation the active bulk-syncs back: always, or (false) only if the two
  // stores differ; otherwise an empty bulk sync confirms the standby.
  bool bulk_after_reconcile_always = false;
  // Allocate/release writes made while reconciling wait: at most this many (more are refused,
  // kUnavailable), at most this long (then kTimeout).
  uint64_t max_postponed_writes = 65536;
  std::chrono::milliseconds postpone_timeout{5000};

  TlsOptions tls;
  // Bounds on who may connect to the sync port. Connections past the rate are closed at once
  // (a flood costs an accept and a close each, and a log line per second); a TLS handshake
  // that has not completed within handshake_timeout is cut (in insecure mode there is none: a
  // hello must come within dead_after_missed heartbeats); at most max_pending_handshakes run
  // at a time.
  uint32_t max_connections_per_second = 20;
  uint32_t max_pending_handshakes = 8;
  std::chrono::milliseconds handshake_timeout{2000};
  // A peer that reads nothing for this long while bytes wait for it, or that acknowledges
  // none of this node's frames for twice this long, is cut (it reconnects and is
  // resynchronised): a stalled standby must not hold the active's memory.
  std::chrono::milliseconds stall_timeout{10000};

  ConsumerPortOptions consumers;
};

struct ReplicaStatus {
  NodeId node_id = 0;
  Role role = Role::kInit;
  SyncState sync = SyncState::kIdle;
  bool peer_up = false;
  NodeId peer_id = 0;
  Role peer_role = Role::kInit;
  bool peer_in_sync = false;
  SyncState peer_sync = SyncState::kIdle;  // as the peer's last hello or heartbeat said
  uint64_t gvn = 0;
  uint64_t records = 0;
  uint64_t digest = 0;
  uint64_t sync_done = 0;   // records sent or received by the running bulk sync or reconciliation
  uint64_t sync_total = 0;  // records it expects
  uint64_t unacked_bytes = 0;
  uint64_t postponed = 0;  // allocate/release writes waiting for the reconciliation to end
  uint64_t hlc = 0;        // hybrid logical clock: ms since the Unix epoch << 16 | counter
};

class Replica {
 public:
  using RoleCallback = std::function<void(Role from, Role to, std::string_view reason)>;
  // `keeps_active`: this node stays active and receives the peer's records; otherwise it
  // yields (an OnRoleChange to kStandby follows) and sends its records to the peer.
  using SplitBrainCallback = std::function<void(NodeId peer, bool keeps_active)>;
  using RecordFn = std::function<void(std::string_view key, std::string_view value)>;

  // Checks the options and binds the listen address. Errors: kInvalidArgument, kIo.
  static Result<std::unique_ptr<Replica>> Create(ReplicaOptions options);
  ~Replica();  // Stop()s if still running
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;

  // Runs the event loop on an internal thread.
  Status Start();
  // Runs the event loop on the calling thread until Stop() is called from another thread.
  Status Run();
  // Graceful stop: tells the peer to take over at once, then ends the loop. Idempotent.
  void Stop();

  // Writes on the active node. Return once applied (kAsync) or once the standby acknowledged
  // (kReplicated). kNotActive on the standby. A write whose intent is kAllocate or kRelease,
  // made while the pair reconciles, is postponed: it returns once it has run, in arrival order,
  // after the reconciliation (kTimeout if that takes longer than postpone_timeout;
  // kUnavailable at once if max_postponed_writes already wait). kUpdate writes never wait.
  Status Put(std::string_view table, std::string_view key, std::string_view value,
             Durability durability = Durability::kAsync, WriteIntent intent = WriteIntent::kUpdate);
  Status Erase(std::string_view table, std::string_view key,
               Durability durability = Durability::kAsync,
               WriteIntent intent = WriteIntent::kUpdate);
  Result<std::string> Get(std::string_view table, std::string_view key);
  // Copies the live records of `table` on the replica's thread, then calls `fn` for each on the
  // caller's. A table never written is empty, not an error.
  Status ForEach(std::string_view table, const RecordFn& fn);
  Result<ReplicaStatus> GetStatus();
  // Hands the active role to the standby; returns once it has. If the standby was not in sync
  // (a bulk sync or a reconciliation was running), this node then reconciles into it.
  Status Switchover();
  // Called on the replica's thread on every role change; register before Start/Run.
  void OnRoleChange(RoleCallback callback);
  // Called on the replica's thread when this node meets another active one (a split-brain
  // ended); register before Start/Run. The reconciliation that follows is logged; its end
  // shows in GetStatus (sync leaves kReconciling, then the bulk sync back completes).
  void OnSplitBrain(SplitBrainCallback callback);
  // How `table` merges a record received in a reconciliation with its own copy (the default is
  // LastWriterWins; an empty function restores it). Before Start/Run only (kUnavailable
  // after). Install the same functions on both nodes: either may be the one that merges.
  // `merge` runs on the replica's thread and must be deterministic.
  Status SetMergeFunction(std::string_view table, MergeFunction merge);
  // The section (0..63; higher values are taken modulo 64) of each record of `table`, the unit
  // a consumer's replay resends (docs/consumers.md); the default is a hash of the key. Before
  // Start/Run only, with a consumer port (kUnavailable, kInvalidArgument otherwise). Install
  // the same functions on both nodes; `fn` runs on the replica's thread and must be
  // deterministic.
  Status SetSectionFunction(std::string_view table,
                            std::function<uint8_t(std::string_view key)> fn);
  // The bound sync port (the real one when `listen` asked for port 0).
  uint16_t listen_port() const;
  // The bound consumer port (likewise), or 0 without one.
  uint16_t consumer_port() const;

 private:
  friend class Pool;  // runs its calls on the replica's loop
  class Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hasync
