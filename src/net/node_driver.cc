#include "net/node_driver.h"

#include <spdlog/spdlog.h>
#include <xxhash.h>

#include <array>
#include <asio/post.hpp>
#include <string_view>
#include <utility>

#include "core/spdlog_level.h"
#include "wire/codec.h"

namespace hasync::net {

namespace {

// A peer refused at hello would be refused again: back off. One that timed out, said goodbye
// or let a switchover time out may be back at once. A protocol error, a refused
// reconciliation or stores that differ after a sync get the normal pacing: at once, unless
// the connection was short-lived (then a loop of them does not spin).
PeerLink::Pace PaceOf(core::CloseCause cause) {
  switch (cause) {
    case core::CloseCause::kRejected:
      return PeerLink::Pace::kBackOff;
    case core::CloseCause::kPeerTimeout:
    case core::CloseCause::kPeerGoodbye:
    case core::CloseCause::kSwitchoverTimeout:
      return PeerLink::Pace::kSoon;
    case core::CloseCause::kProtocolError:
    case core::CloseCause::kReconcileRefused:
    case core::CloseCause::kDigestMismatch:
      return PeerLink::Pace::kNormal;
  }
  return PeerLink::Pace::kNormal;
}

uint64_t WallClockMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

void Log(const core::LogLine& line) {
  spdlog::log(core::SpdlogLevel(line.severity), "{}", line.text);
}

NodeDriver::NodeDriver(asio::io_context& io, Options options)
    : io_(io),
      epoch_(std::chrono::steady_clock::now()),
      node_(std::move(options.core)),
      link_(io, std::move(options.link), this) {
  timers_.reserve(core::kTimerCount);
  for (size_t i = 0; i < core::kTimerCount; ++i) timers_.emplace_back(io);
}

NodeDriver::~NodeDriver() {
  stopped_ = true;
  link_.Stop();
}

// docs/protocol.md, "The config digest": each part's name, then its digest, in name order.
void NodeDriver::SetApplicationDigest(std::string_view part, uint64_t digest) {
  application_digests_.insert_or_assign(std::string(part), digest);
  std::vector<uint8_t> bytes;
  for (const auto& [name, value] : application_digests_) {
    bytes.insert(bytes.end(), name.begin(), name.end());
    wire::PutLE(bytes, value);
  }
  node_.SetApplicationDigest(XXH3_64bits(bytes.data(), bytes.size()));
}

core::TimePoint NodeDriver::Now() const {
  return std::chrono::duration_cast<core::TimePoint>(std::chrono::steady_clock::now() - epoch_);
}

Status NodeDriver::Start() {
  Status listening = link_.Start();
  if (!listening.ok()) return listening;
  // The core's hybrid logical clock follows the system clock from here, by steady time.
  node_.Start(Now(), WallClockMs());
  Drain();
  return Status::Ok();
}

void NodeDriver::Shutdown(std::chrono::milliseconds timeout, std::function<void()> done) {
  if (stopped_) {
    asio::post(io_, std::move(done));
    return;
  }
  node_.Shutdown(Now());
  Drain();
  // Nothing more reaches the core: a peer deadline expiring while the goodbye is written must
  // not turn a stopping standby into an active one (and run its notify script).
  stopped_ = true;
  for (asio::steady_timer& timer : timers_) timer.cancel();
  link_.CloseGracefully(timeout, [this, done = std::move(done)] {
    for (auto& [token, callback] : std::exchange(pending_writes_, {})) {
      callback(Unavailable("the node stopped"));
    }
    if (switchover_done_) std::exchange(switchover_done_, nullptr)(Unavailable("the node stopped"));
    done();
  });
}

void NodeDriver::Put(std::string_view table, std::string_view key, std::string_view value,
                     Durability durability, WriteIntent intent, Done done) {
  if (stopped_) return done(Unavailable("the node stopped"));
  uint64_t token = next_token_++;
  Finish(node_.Put(Now(), table, key, value, durability, token, intent), token, done);
}

void NodeDriver::Erase(std::string_view table, std::string_view key, Durability durability,
                       WriteIntent intent, Done done) {
  if (stopped_) return done(Unavailable("the node stopped"));
  uint64_t token = next_token_++;
  Finish(node_.Erase(Now(), table, key, durability, token, intent), token, done);
}

void NodeDriver::SetMergeFunction(std::string_view table, MergeFunction merge) {
  node_.SetMergeFunction(table, std::move(merge));
}

void NodeDriver::Finish(core::WriteOutcome outcome, uint64_t token, Done& done) {
  ScheduleFlush();
  if (outcome.pending) {
    // A postponed write is pending too, also a kAsync one: its WriteCompleted follows once
    // the reconciliation ended and it ran (or it failed). Registered before Drain(), which
    // may already carry the completion.
    pending_writes_.emplace(token, std::move(done));
    Drain();
    return;
  }
  Drain();
  done(std::move(outcome.status));
}

void NodeDriver::Switchover(Done done) {
  if (stopped_) return done(Unavailable("the node stopped"));
  if (switchover_done_) return done(Unavailable("a switchover is already in progress"));
  Status asked = node_.RequestSwitchover(Now());
  if (!asked.ok()) {
    Drain();
    done(std::move(asked));
    return;
  }
  switchover_done_ = std::move(done);
  Drain();
}

void NodeDriver::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  asio::post(io_, lifetime_.Guard([this] {
    flush_posted_ = false;
    if (stopped_) return;
    node_.Flush(Now());
    Drain();
  }));
}

void NodeDriver::OnLinkUp() {
  node_.OnChannelUp(Now());
  Drain();
}

void NodeDriver::OnLinkBytes(std::span<const uint8_t> bytes) {
  node_.OnBytes(Now(), bytes);
  Drain();
}

void NodeDriver::OnLinkDown(std::string_view reason) {
  node_.OnChannelDown(Now(), reason);
  Drain();
}

void NodeDriver::Drain() {
  if (draining_) return;  // a callback called back in; the loop below picks its effects up
  draining_ = true;
  core::Effects& effects = node_.effects();
  do {
    while (!effects.empty()) {
      link_.Send(effects.send);  // leaves it empty
      for (const core::TimerRequest& request : effects.timers) Arm(request.id, request.deadline);
      effects.timers.clear();
      events_.swap(effects.events);
      for (core::Event& event : events_) Handle(event);
      events_.clear();
    }
    // A drainer may feed the node (and so its extension) again: loop until both are quiet.
    for (const auto& drain : drainers_) drain();
  } while (!effects.empty());
  draining_ = false;
}

void NodeDriver::Arm(core::TimerId id, core::TimePoint deadline) {
  size_t index = static_cast<size_t>(id);
  asio::steady_timer& timer = timers_[index];
  uint64_t generation = ++timer_generation_[index];
  if (deadline == core::kNever) {
    timer.cancel();
    return;
  }
  timer.expires_at(epoch_ +
                   std::chrono::duration_cast<std::chrono::steady_clock::duration>(deadline));
  // An expiry already queued when the timer is re-armed cannot be cancelled; the generation
  // makes it a no-op.
  timer.async_wait(lifetime_.Guard([this, id, index, generation, deadline](asio::error_code ec) {
    if (ec || stopped_ || timer_generation_[index] != generation) return;
    core::TimePoint now = Now();
    if (now - deadline > node_.config().heartbeat_interval) {
      // Heartbeats and deadlines are only as good as the loop's latency: say so when it lags.
      spdlog::warn("{} timer fired {} ms late: the event loop was blocked", core::TimerName(id),
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - deadline).count());
    }
    node_.OnTimer(now, id);
    Drain();
  }));
}

void NodeDriver::Handle(core::Event& event) {
  std::visit([this](auto& e) { On(e); }, event);
}

void NodeDriver::On(core::RoleChanged& e) {
  for (RoleCallback& callback : role_callbacks_) callback(e);
}

void NodeDriver::On(core::WriteCompleted& e) {
  auto it = pending_writes_.find(e.token);
  if (it == pending_writes_.end()) {
    if (unclaimed_write_callbacks_.empty()) {
      spdlog::error("the core completed write {}, which no caller waits for", e.token);
    }
    for (const auto& callback : unclaimed_write_callbacks_) callback(e);
    return;
  }
  Done callback = std::move(it->second);
  pending_writes_.erase(it);
  callback(std::move(e.status));
}

void NodeDriver::On(core::SwitchoverCompleted& e) {
  if (!switchover_done_) {
    spdlog::info("switchover finished: {}", e.status.ToString());
    return;
  }
  std::exchange(switchover_done_, nullptr)(std::move(e.status));
}

void NodeDriver::On(core::CloseChannel& e) {
  // The core logs and counts a refused hello, but does not know where it came from.
  if (e.cause == core::CloseCause::kRejected) {
    spdlog::warn("sync: rejected peer {}: {}", link_.remote(), e.reason);
  }
  link_.Close(e.reason, PaceOf(e.cause));
}

void NodeDriver::On(core::LogLine& e) { Log(e); }

void NodeDriver::On(core::SplitBrainDetected& e) {
  // The core logs it (and the reconciliation's counts below); no second line here.
  for (SplitBrainCallback& callback : split_brain_callbacks_) callback(e);
}

void NodeDriver::On(core::ReconcileCompleted& e) {
  for (ReconcileCallback& callback : reconcile_callbacks_) callback(e);
}

}  // namespace hasync::net
