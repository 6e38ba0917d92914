// NotifyRunner: runs the operator's scripts on role changes, keepalived style:
//   <program> [configured args...] <role> <node-id> <reason>
// e.g. "/etc/hasync/notify.sh active 1 'failover: peer closed the connection'", and on
// split-brains (docs/operations.md):
//   notify_split_brain: <program> [args...] detected <peer-id> keeps|yields
//                       <program> [args...] resolved <peer-id> <received> <inserted>
//                                 <replaced> <deleted> <kept>
//   notify:             <program> [args...] split-brain-detected|split-brain-resolved
//                                 <node-id> <reason>
//
// Scripts never block the io thread: they are started with posix_spawn and reaped when SIGCHLD
// arrives. They run one at a time, in the order of the role changes, so a script that brings an
// address up can never overtake the one that took it down; one still running after `timeout`
// is killed. The queue is bounded (a flapping pair drops the oldest pending notifications, with
// a log line, rather than grow). A script that cannot be started, fails or is killed is logged.
#pragma once

#include <sys/types.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <string>
#include <string_view>

#include "core/effects.h"
#include "daemon/config.h"

namespace hasync::daemon {

class NotifyRunner {
 public:
  static constexpr size_t kMaxQueued = 32;

  NotifyRunner(asio::io_context& io, NotifyConfig config,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));
  ~NotifyRunner();
  NotifyRunner(const NotifyRunner&) = delete;
  NotifyRunner& operator=(const NotifyRunner&) = delete;

  // Queues the scripts configured for a change to `role` (notify_active or notify_standby, then
  // notify).
  void RoleChanged(Role role, NodeId node_id, std::string_view reason);
  // Queues notify_split_brain ("detected <peer> keeps|yields"), then notify
  // ("split-brain-detected <node-id> <reason>").
  void SplitBrainDetected(NodeId node_id, const core::SplitBrainDetected& e,
                          std::string_view reason);
  // After a reconciliation that ended a split-brain: notify_split_brain ("resolved <peer>
  // <received> <inserted> <replaced> <deleted> <kept>"), then notify ("split-brain-resolved
  // <node-id> <reason>"). On the node that sent its records, <received> is how many it sent
  // and the merge counts are 0: the active merged them.
  void SplitBrainResolved(NodeId node_id, const core::ReconcileCompleted& e,
                          std::string_view reason);
  size_t queued() const { return queue_.size(); }
  bool running() const { return child_ > 0; }

 private:
  // Queues `command` with `args` appended; `what` names the notification in log lines.
  void Enqueue(const Command& command, std::vector<std::string> args, std::string what);
  void StartNext();
  void WaitForSignal();
  void Reap();

  NotifyConfig config_;
  std::chrono::milliseconds timeout_;
  asio::signal_set sigchld_;
  asio::steady_timer deadline_;
  struct Queued {
    std::vector<std::string> argv;
    std::string what;  // "active", "split-brain-detected", ...
  };
  std::deque<Queued> queue_;  // scripts waiting to run
  pid_t child_ = 0;           // the script running, if any
  std::string child_name_;
};

}  // namespace hasync::daemon
