// NodeDriver: runs one sans-IO core::Node on an asio::io_context.
//
// It turns the world into core inputs (the peer link going up and down, bytes read, timer
// expiries, local writes) and carries out the core's effects after every single call: bytes go
// to the PeerLink, timers are armed or cancelled, events are dispatched (role changes to the
// subscribers, completed pending writes to their callbacks by token, log lines to spdlog,
// CloseChannel to the link, split-brain and reconciliation events to their subscribers; the
// core logs those itself). Time is a steady clock read as nanoseconds since the driver
// was constructed; the core's hybrid logical clock starts from the system clock read at Start.
//
// Batching: a write does not close its records frame; the driver posts one Flush per io turn,
// so all writes made in the same turn share frames.
//
// Single-threaded: every method and callback runs on the io_context's thread. Callbacks may call
// back into the driver (the effects of a nested call are carried out by the outer drain loop, in
// order).
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/node.h"
#include "hasync/merge.h"
#include "net/lifetime.h"
#include "net/link_counters.h"
#include "net/peer_link.h"

namespace hasync::net {

// Writes a core log line to spdlog at its severity (also for the layers above the core).
void Log(const core::LogLine& line);

class NodeDriver : private PeerLink::Listener {
 public:
  struct Options {
    core::CoreConfig core;
    PeerLink::Options link;
  };
  using Done = std::function<void(Status)>;
  using RoleCallback = std::function<void(const core::RoleChanged&)>;
  using SplitBrainCallback = std::function<void(const core::SplitBrainDetected&)>;
  // `peer`: the node it reconciled with (0 if unknown).
  using ReconcileCallback = std::function<void(const core::ReconcileCompleted&)>;

  // `io` must outlive this object.
  NodeDriver(asio::io_context& io, Options options);
  ~NodeDriver() override;
  NodeDriver(const NodeDriver&) = delete;
  NodeDriver& operator=(const NodeDriver&) = delete;

  // Listens (and dials) and starts the core's startup wait. Errors: the security settings or
  // their files (Options::link.tls), the listen address.
  Status Start();
  // Graceful stop: the core says goodbye (the peer takes over at once), the link writes it and
  // closes, then `done` runs. The driver is inert afterwards.
  void Shutdown(std::chrono::milliseconds timeout, std::function<void()> done);

  // Local writes. `done` runs once the write is applied (kAsync) or acknowledged by the standby
  // (kReplicated), or with the reason it failed; possibly before Put returns. An allocate or
  // release write made while the node reconciles is postponed: `done` runs once it has run
  // after the reconciliation (and, kReplicated, been acknowledged), or failed (kTimeout after
  // postpone_timeout, kNotActive if the node lost the active role).
  void Put(std::string_view table, std::string_view key, std::string_view value,
           Durability durability, WriteIntent intent, Done done);
  void Erase(std::string_view table, std::string_view key, Durability durability,
             WriteIntent intent, Done done);
  // Installs a merge function for `table` (the core's default is LastWriterWins).
  void SetMergeFunction(std::string_view table, MergeFunction merge);
  // Planned switchover; `done` runs when the handover completed or failed.
  void Switchover(Done done);
  // Subscriptions; callbacks run on the io thread, in the order the core reported the events.
  void OnRoleChange(RoleCallback callback) { role_callbacks_.push_back(std::move(callback)); }
  void OnSplitBrain(SplitBrainCallback callback) {
    split_brain_callbacks_.push_back(std::move(callback));
  }
  void OnReconcileCompleted(ReconcileCallback callback) {
    reconcile_callbacks_.push_back(std::move(callback));
  }

  // For layers that drive the core themselves (the address pools, net/pool_service.h):
  // `fn(node, now)` runs, then the driver flushes and carries out the effects. Writes they make
  // take their tokens from NewToken; a WriteCompleted no Put/Erase caller waits for goes to the
  // OnUnclaimedWrite subscribers. Before Start only: SetApplicationDigest (core/config.h), one
  // digest per layer (`part`: "consumers", "pools"), combined for the hello.
  template <typename Fn>
  void WithNode(Fn&& fn) {
    if (stopped_) return;
    fn(node_, Now());
    ScheduleFlush();
    Drain();
  }
  uint64_t NewToken() { return next_token_++; }
  void OnUnclaimedWrite(std::function<void(const core::WriteCompleted&)> callback) {
    unclaimed_write_callbacks_.push_back(std::move(callback));
  }
  void SetApplicationDigest(std::string_view part, uint64_t digest);
  // For a layer installed in the node as its stream extension (the consumers' publisher,
  // net/consumer_server.h), whose hooks run inside the node's calls and leave effects of their
  // own: `drain` runs after every drain of the node's effects and carries those out. Inputs it
  // makes to the node (through WithNode) are drained by the same loop. Before Start.
  void AddEffectsDrainer(std::function<void()> drain) { drainers_.push_back(std::move(drain)); }
  bool stopped() const { return stopped_; }

  // Read access (records, status, counters). Valid on the io thread only.
  const core::Node& node() const { return node_; }
  asio::ip::tcp::endpoint listen_endpoint() const { return link_.local_endpoint(); }
  // What the sync port saw below the protocol (connections, handshakes, stalls).
  const LinkCounters& link_counters() const { return link_.counters(); }
  core::TimePoint Now() const;

 private:
  void OnLinkUp() override;
  void OnLinkBytes(std::span<const uint8_t> bytes) override;
  void OnLinkDown(std::string_view reason) override;

  void Finish(core::WriteOutcome outcome, uint64_t token, Done& done);
  void ScheduleFlush();
  void Drain();  // carries out node_.effects() until none are left
  void Arm(core::TimerId id, core::TimePoint deadline);
  void Handle(core::Event& event);
  void On(core::RoleChanged& e);
  void On(core::WriteCompleted& e);
  void On(core::SwitchoverCompleted& e);
  void On(core::CloseChannel& e);
  void On(core::LogLine& e);
  void On(core::SplitBrainDetected& e);
  void On(core::ReconcileCompleted& e);

  asio::io_context& io_;
  std::chrono::steady_clock::time_point epoch_;
  core::Node node_;
  PeerLink link_;
  std::vector<asio::steady_timer> timers_;                      // one per core::TimerId
  std::array<uint64_t, core::kTimerCount> timer_generation_{};  // stale expiries are ignored
  std::vector<core::Event> events_;  // drained events, reused across turns
  bool draining_ = false;
  bool flush_posted_ = false;
  bool stopped_ = false;
  uint64_t next_token_ = 1;
  std::unordered_map<uint64_t, Done> pending_writes_;  // pending writes by token
  Done switchover_done_;
  std::vector<RoleCallback> role_callbacks_;
  std::vector<SplitBrainCallback> split_brain_callbacks_;
  std::vector<ReconcileCallback> reconcile_callbacks_;
  std::vector<std::function<void(const core::WriteCompleted&)>> unclaimed_write_callbacks_;
  std::map<std::string, uint64_t, std::less<>> application_digests_;  // by part
  std::vector<std::function<void()>> drainers_;
  Lifetime lifetime_;  // last: its handlers stop before anything else goes
};

}  // namespace hasync::net
