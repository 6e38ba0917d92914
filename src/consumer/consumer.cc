// hasync::Consumer: a ConsumerSession driven by one Asio thread. Every session input (a
// connection event, the timer, Start, Stop) runs on that thread and is followed by Drain(),
// which carries out the session's effects in the order the session asks for: the application's
// callbacks first, then the writes (acks among them), closes, dials, and the timer.
#include "hasync/consumer.h"

#include <spdlog/spdlog.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <atomic>
#include <mutex>
#include <thread>

#include "consumer/endpoint.h"
#include "consumer/links.h"
#include "consumer/options.h"
#include "consumer/session.h"
#include "core/spdlog_level.h"

namespace hasync {

namespace {

// A consumer only sends hellos, acks and pings: far below this unless the node stopped reading.
constexpr size_t kMaxQueueBytes = 1 << 20;

}  // namespace

class Consumer::Impl : public consumer::Links::Listener {
 public:
  Impl(ConsumerOptions options, std::vector<asio::ip::tcp::endpoint> endpoints,
       BatchCallback on_batch)
      : options_(std::move(options)),
        endpoints_(std::move(endpoints)),
        on_batch_(std::move(on_batch)),
        session_(consumer::ToSessionConfig(options_)),
        links_(io_, endpoints_.size(), this, kMaxQueueBytes),
        timer_(io_),
        work_(io_.get_executor()),
        epoch_(std::chrono::steady_clock::now()),
        who_(options_.name.empty() ? options_.table : options_.name) {}

  Status Start();
  void Stop();
  void Join();
  ConsumerStatus GetStatus() const {
    std::lock_guard lock(status_mutex_);
    return status_;
  }

 private:
  enum class Phase : uint8_t { kNew, kRunning, kStopped };

  // Links::Listener
  void OnLinkConnected(size_t slot) override {
    session_.OnConnected(Now(), slot);
    Drain();
  }
  void OnLinkBytes(size_t slot, std::span<const uint8_t> bytes) override {
    session_.OnBytes(Now(), slot, bytes);
    Drain();
  }
  void OnLinkClosed(size_t slot, std::string_view reason) override {
    session_.OnClosed(Now(), slot, reason);
    Drain();
  }

  core::TimePoint Now() const { return std::chrono::steady_clock::now() - epoch_; }
  void Drain();
  void Deliver(const consumer::AppliedOp& op);
  void ArmTimer(core::TimePoint at);
  void Publish();
  void Shutdown();

  ConsumerOptions options_;
  std::vector<asio::ip::tcp::endpoint> endpoints_;
  BatchCallback on_batch_;
  asio::io_context io_;
  consumer::ConsumerSession session_;
  consumer::Links links_;
  asio::steady_timer timer_;
  core::TimePoint armed_ = core::kNever;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::chrono::steady_clock::time_point epoch_;
  std::string who_;      // in log lines
  ConsumerBatch batch_;  // reused: its vector keeps its capacity
  std::thread thread_;
  std::mutex phase_mutex_;  // Start and Stop from any thread
  Phase phase_ = Phase::kNew;
  std::atomic<bool> stopping_{false};  // no callback once set
  mutable std::mutex status_mutex_;
  ConsumerStatus status_;
};

Status Consumer::Impl::Start() {
  std::lock_guard lock(phase_mutex_);
  if (phase_ != Phase::kNew) return InvalidArgument("the consumer was already started");
  phase_ = Phase::kRunning;
  asio::post(io_, [this] {
    session_.Start(Now());
    Drain();
  });
  thread_ = std::thread([this] { io_.run(); });
  return Status::Ok();
}

void Consumer::Impl::Stop() {
  {
    std::lock_guard lock(phase_mutex_);
    bool running = phase_ == Phase::kRunning;
    phase_ = Phase::kStopped;
    stopping_ = true;
    if (!running) return;
  }
  if (std::this_thread::get_id() == thread_.get_id()) {
    io_.stop();  // from a callback: the loop ends once it returns; the destructor joins
    return;
  }
  asio::post(io_, [this] { Shutdown(); });
  thread_.join();
}

void Consumer::Impl::Join() {
  if (thread_.joinable() && std::this_thread::get_id() != thread_.get_id()) thread_.join();
}

void Consumer::Impl::Shutdown() {
  session_.Stop(Now());
  Drain();  // its logs; the closes are done just below
  links_.CloseAll();
  timer_.cancel();
  work_.reset();
  io_.stop();
}

void Consumer::Impl::Drain() {
  consumer::SessionEffects effects = std::exchange(session_.effects(), {});
  for (const core::LogLine& line : effects.logs) {
    spdlog::log(core::SpdlogLevel(line.severity), "consumer {}: {}", who_, line.text);
  }
  for (const consumer::AppliedOp& op : effects.applied) Deliver(op);
  // Once stopping, an ack could cover an op whose callback was skipped: nothing more is sent.
  if (!stopping_) {
    for (auto& send : effects.sends) links_.Send(send.endpoint, send.bytes);
  }
  for (size_t slot : effects.close) links_.Close(slot);
  for (size_t slot : effects.connect) links_.Connect(slot, endpoints_[slot]);
  ArmTimer(effects.timer);
  Publish();
}

void Consumer::Impl::Deliver(const consumer::AppliedOp& op) {
  if (stopping_) return;
  batch_.op = op.op;
  batch_.replay = op.replay;
  batch_.changes.clear();
  for (const consumer::Change& c : op.changes) {
    batch_.changes.push_back({.key = c.key, .value = c.value, .deleted = c.deleted});
  }
  try {
    on_batch_(batch_);
  } catch (const std::exception& e) {
    // The op stays applied (and acknowledged): the library cannot undo what the callback did.
    spdlog::error("consumer {}: the callback of op {} threw: {}", who_, op.op, e.what());
  }
}

void Consumer::Impl::ArmTimer(core::TimePoint at) {
  if (at == armed_) return;
  armed_ = at;
  if (at == core::kNever) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(epoch_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(at));
  timer_.async_wait([this](asio::error_code ec) {
    if (ec) return;  // re-armed or cancelled
    armed_ = core::kNever;
    session_.OnTimer(Now());
    Drain();
  });
}

void Consumer::Impl::Publish() {
  consumer::SessionStatus s = session_.status();
  ConsumerStatus out{
      .channel = s.channel,
      .connected = s.active_endpoint >= 0,
      .node =
          s.active_endpoint >= 0 ? FormatEndpoint(endpoints_[s.active_endpoint]) : std::string(),
      .last_op = s.last_op,
      .acked_op = s.acked_op,
      .records = s.records,
      .ops = s.ops,
      .resumes = s.resumes,
      .replays = s.replays,
      .replayed_records = s.replayed_records,
      .replayed_bytes = s.replayed_bytes,
      .reconnects = s.reconnects,
  };
  std::lock_guard lock(status_mutex_);
  status_ = std::move(out);
}

Result<std::unique_ptr<Consumer>> Consumer::Create(ConsumerOptions options,
                                                   BatchCallback on_batch) {
  if (!on_batch) return InvalidArgument("on_batch: a callback is required");
  Result<std::vector<asio::ip::tcp::endpoint>> endpoints = consumer::CheckOptions(options);
  if (!endpoints.ok()) return endpoints.status();
  auto impl =
      std::make_unique<Impl>(std::move(options), std::move(endpoints).value(), std::move(on_batch));
  return std::unique_ptr<Consumer>(new Consumer(std::move(impl)));
}

Consumer::Consumer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Consumer::~Consumer() {
  Stop();
  impl_->Join();
}

Status Consumer::Start() { return impl_->Start(); }

void Consumer::Stop() { impl_->Stop(); }

ConsumerStatus Consumer::GetStatus() const { return impl_->GetStatus(); }

}  // namespace hasync
