#include "daemon/notify.h"

#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cstring>
#include <vector>

extern char** environ;

namespace hasync::daemon {

NotifyRunner::NotifyRunner(asio::io_context& io, NotifyConfig config,
                           std::chrono::milliseconds timeout)
    : config_(std::move(config)), timeout_(timeout), sigchld_(io, SIGCHLD), deadline_(io) {
  WaitForSignal();
}

NotifyRunner::~NotifyRunner() {
  // A script still running is left to finish on its own; init reaps it once we exit.
  asio::error_code ignored;
  sigchld_.cancel(ignored);
  deadline_.cancel();
}

void NotifyRunner::RoleChanged(Role role, NodeId node_id, std::string_view reason) {
  std::string name(RoleName(role));
  std::vector<std::string> args = {name, std::to_string(node_id), std::string(reason)};
  if (role == Role::kActive) Enqueue(config_.on_active, args, name);
  if (role == Role::kStandby) Enqueue(config_.on_standby, args, name);
  Enqueue(config_.on_any, std::move(args), name);
  StartNext();
}

void NotifyRunner::SplitBrainDetected(NodeId node_id, const core::SplitBrainDetected& e,
                                      std::string_view reason) {
  Enqueue(config_.on_split_brain,
          {"detected", std::to_string(e.peer), e.keeps_active ? "keeps" : "yields"},
          "split-brain-detected");
  Enqueue(config_.on_any, {"split-brain-detected", std::to_string(node_id), std::string(reason)},
          "split-brain-detected");
  StartNext();
}

void NotifyRunner::SplitBrainResolved(NodeId node_id, const core::ReconcileCompleted& e,
                                      std::string_view reason) {
  const core::MergeCounts& m = e.merged;
  uint64_t received = e.sender ? e.sent : m.received;
  Enqueue(config_.on_split_brain,
          {"resolved", std::to_string(e.peer), std::to_string(received), std::to_string(m.inserted),
           std::to_string(m.replaced), std::to_string(m.deleted), std::to_string(m.kept)},
          "split-brain-resolved");
  Enqueue(config_.on_any, {"split-brain-resolved", std::to_string(node_id), std::string(reason)},
          "split-brain-resolved");
  StartNext();
}

void NotifyRunner::Enqueue(const Command& command, std::vector<std::string> args,
                           std::string what) {
  if (command.empty()) return;
  if (queue_.size() >= kMaxQueued) {
    spdlog::warn("notify: {} notifications waiting; dropping the oldest ({} {})", queue_.size(),
                 queue_.front().argv[0], queue_.front().what);
    queue_.pop_front();
  }
  std::vector<std::string> argv = command;
  for (std::string& arg : args) argv.push_back(std::move(arg));
  queue_.push_back({std::move(argv), std::move(what)});
}

void NotifyRunner::StartNext() {
  while (child_ == 0 && !queue_.empty()) {
    std::vector<std::string> args = std::move(queue_.front().argv);
    std::string what = std::move(queue_.front().what);
    queue_.pop_front();
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    int error = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
    if (error != 0) {
      spdlog::error("notify: cannot run {}: {}", args[0], std::strerror(error));
      continue;
    }
    child_ = pid;
    child_name_ = args[0];
    spdlog::info("notify: running {} for {} (pid {})", args[0], what, pid);
    deadline_.expires_after(timeout_);
    deadline_.async_wait([this, pid](asio::error_code ec) {
      if (ec || child_ != pid) return;
      spdlog::error("notify: {} (pid {}) still runs after {} ms; killing it", child_name_, pid,
                    timeout_.count());
      kill(pid, SIGKILL);  // reaped by the SIGCHLD that follows
    });
  }
}

void NotifyRunner::WaitForSignal() {
  sigchld_.async_wait([this](asio::error_code ec, int) {
    if (ec) return;
    Reap();
    WaitForSignal();
  });
}

void NotifyRunner::Reap() {
  if (child_ == 0) return;
  int status = 0;
  pid_t done = waitpid(child_, &status, WNOHANG);
  if (done == 0) return;  // SIGCHLD from some other child, or coalesced; ours still runs
  if (done < 0) {
    spdlog::error("notify: waitpid({}) failed: {}", child_, std::strerror(errno));
  } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    spdlog::debug("notify: {} finished", child_name_);
  } else if (WIFEXITED(status)) {
    spdlog::error("notify: {} failed with exit status {}", child_name_, WEXITSTATUS(status));
  } else if (WIFSIGNALED(status)) {
    spdlog::error("notify: {} was killed by signal {}", child_name_, WTERMSIG(status));
  }
  child_ = 0;
  deadline_.cancel();
  StartNext();
}

}  // namespace hasync::daemon
