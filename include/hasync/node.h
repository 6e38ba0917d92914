// hasync::Replica: one node of an active/standby pair, embedded in a program.
//
// The program writes its session records (NAT bindings, conntrack entries, leases) on the
// active node; the replica streams them to the standby, which holds an identical copy and takes
// over when the active goes away. Roles are decided by the pair (priority, then node id).
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

#include "hasync/status.h"
#include "hasync/types.h"

namespace hasync {

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
  uint64_t bulk_rate = 0;  // records/s during a bulk sync; 0 = unlimited
  uint64_t max_unacked_bytes = 64u << 20;

  uint32_t max_key_bytes = 1024;
  uint32_t max_value_bytes = 64 * 1024;
  uint32_t max_tables = 1024;
};

struct ReplicaStatus {
  NodeId node_id = 0;
  Role role = Role::kInit;
  SyncState sync = SyncState::kIdle;
  bool peer_up = false;
  NodeId peer_id = 0;
  Role peer_role = Role::kInit;
  bool peer_in_sync = false;
  uint64_t gvn = 0;
  uint64_t records = 0;
  uint64_t digest = 0;
  uint64_t sync_done = 0;
  uint64_t sync_total = 0;
  uint64_t unacked_bytes = 0;
};

class Replica {
 public:
  using RoleCallback = std::function<void(Role from, Role to, std::string_view reason)>;
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
  // (kReplicated). kNotActive on the standby.
  Status Put(std::string_view table, std::string_view key, std::string_view value,
             Durability durability = Durability::kAsync);
  Status Erase(std::string_view table, std::string_view key,
               Durability durability = Durability::kAsync);
  Result<std::string> Get(std::string_view table, std::string_view key);
  // Copies the live records of `table` on the replica's thread, then calls `fn` for each on the
  // caller's. A table never written is empty, not an error.
  Status ForEach(std::string_view table, const RecordFn& fn);
  Result<ReplicaStatus> GetStatus();
  // Hands the active role to the in-sync standby; returns once it has.
  Status Switchover();
  // Called on the replica's thread on every role change; register before Start/Run.
  void OnRoleChange(RoleCallback callback);
  // The bound sync port (the real one when `listen` asked for port 0).
  uint16_t listen_port() const;

 private:
  class Impl;
  explicit Replica(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hasync
