// ConsumerSession: the inputs, the connections and following the active node.
#include "consumer/session.h"

#include <fmt/format.h>

#include <utility>

namespace hasync::consumer {

using State = Connection::State;

namespace {

int64_t Millis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

}  // namespace

ConsumerSession::ConsumerSession(SessionConfig config)
    : config_(std::move(config)),
      conns_(config_.endpoints, Connection(config_.max_frame_bytes)),
      channel_(config_.channel),
      resume_(config_.ring_size),
      assembly_(config_.assembly) {}

void ConsumerSession::Start(TimePoint now) {
  if (started_ || stopped_) return;
  started_ = true;
  if (conns_.empty()) {
    Log(core::Severity::kError, "no endpoint to connect to");
  } else {
    Dial(now, 0, /*ack_only=*/false);
  }
  ArmTimer();
}

void ConsumerSession::OnConnected(TimePoint now, size_t endpoint) {
  if (stopped_ || endpoint >= conns_.size()) return;
  Connection& c = conns_[endpoint];
  if (c.state != State::kConnecting) return;
  c.state = State::kOpen;
  c.last_received = now;
  SendHello(now, endpoint);
  if (c.ack_only) ScheduleAck(now);  // it has acknowledged nothing yet on this connection
  ArmTimer();
}

void ConsumerSession::OnBytes(TimePoint now, size_t endpoint, std::span<const uint8_t> bytes) {
  if (stopped_ || endpoint >= conns_.size() || !conns_[endpoint].up()) return;
  uint64_t id = conns_[endpoint].id;
  conns_[endpoint].last_received = now;
  conns_[endpoint].reader.Feed(bytes);
  // A frame may close the connection (and another may take its index): stop reading it then.
  while (conns_[endpoint].id == id && conns_[endpoint].up()) {
    Result<wire::FrameView> frame = conns_[endpoint].reader.Next();
    if (frame.ok()) {
      OnFrame(now, endpoint, *frame);
    } else {
      if (frame.status().code() != Code::kNotFound) {
        Close(now, endpoint, frame.status().message(), /*protocol_error=*/true);
      }
      break;
    }
  }
  ArmTimer();
}

void ConsumerSession::OnClosed(TimePoint now, size_t endpoint, std::string_view reason) {
  if (stopped_ || endpoint >= conns_.size() || conns_[endpoint].state == State::kIdle) return;
  Forget(now, endpoint, reason, /*protocol_error=*/false);
  ArmTimer();
}

void ConsumerSession::OnTimer(TimePoint now) {
  if (stopped_ || !started_) return;
  Tick(now);
  ArmTimer();
}

void ConsumerSession::Stop(TimePoint) {
  if (stopped_) return;
  stopped_ = true;
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].state != State::kIdle) effects_.close.push_back(i);
    conns_[i].Reset(config_.max_frame_bytes);
  }
  main_ = -1;
  assembly_.Clear();
  retry_at_ = ack_at_ = core::kNever;
  effects_.timer = core::kNever;
  if (started_) Log(core::Severity::kInfo, "stopped");
}

SessionStatus ConsumerSession::status() const {
  SessionStatus s = counters_;
  s.channel = channel_;
  s.active_endpoint = subscribed() ? main_ : -1;
  s.node_id = subscribed() ? node_id_ : 0;
  s.last_op = resume_.last_op();
  s.last_term = resume_.last_term();
  s.records = index_.size();
  return s;
}

bool ConsumerSession::subscribed() const {
  return main_ >= 0 && conns_[main_].state == State::kSubscribed;
}

void ConsumerSession::Dial(TimePoint now, size_t endpoint, bool ack_only) {
  Connection& c = conns_[endpoint];
  if (c.state != State::kIdle) effects_.close.push_back(endpoint);
  c.Reset(config_.max_frame_bytes);
  c.id = ++conn_ids_;
  c.state = State::kConnecting;
  c.ack_only = ack_only;
  // The silence deadline covers the connect too: a node that does not answer SYNs is skipped.
  c.last_received = c.last_sent = now;
  effects_.connect.push_back(endpoint);
  if (ack_only) return;
  main_ = static_cast<int>(endpoint);
  if (dialed_) ++counters_.reconnects;
  dialed_ = true;
}

void ConsumerSession::Close(TimePoint now, size_t endpoint, std::string_view why,
                            bool protocol_error) {
  effects_.close.push_back(endpoint);
  Forget(now, endpoint, why, protocol_error);
}

void ConsumerSession::Forget(TimePoint now, size_t endpoint, std::string_view why,
                             bool protocol_error) {
  Connection& c = conns_[endpoint];
  bool ack_only = c.ack_only;
  bool was_subscribed = c.state == State::kSubscribed;
  if (protocol_error) ++counters_.protocol_errors;
  core::Severity severity =
      protocol_error || was_subscribed ? core::Severity::kWarning : core::Severity::kDebug;
  Log(severity, fmt::format("{}connection to endpoint {} closed{}: {}", ack_only ? "ack-only " : "",
                            endpoint, protocol_error ? " (protocol error)" : "", why));
  c.Reset(config_.max_frame_bytes);
  if (!ack_only) {
    LostSubscription(now, endpoint);
  } else if (subscribed() && ack_mode_ == wire::AckMode::kDirect) {
    c.redial_at = now + config_.reconnect_delay;
  }
}

void ConsumerSession::LostSubscription(TimePoint now, size_t endpoint) {
  main_ = -1;
  assembly_.Clear();  // a partial op is sent again whole after the resume
  ack_at_ = core::kNever;
  // Acks only matter to the node that sends the updates and its standby; a new subscription
  // opens its own ack-only connections.
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].state != State::kIdle) effects_.close.push_back(i);
    conns_[i].Reset(config_.max_frame_bytes);
  }
  TryNext(now, endpoint);
}

void ConsumerSession::TryNext(TimePoint now, size_t after) {
  next_ = (after + 1) % conns_.size();
  if (++tried_ < conns_.size()) {
    Dial(now, next_, /*ack_only=*/false);
    return;
  }
  // Every endpoint was tried: wait before the next round, longer if a node refused us.
  Duration delay = refused_ ? config_.refused_delay : config_.reconnect_delay;
  tried_ = 0;
  refused_ = false;
  retry_at_ = now + delay;
  Log(++rounds_ == 1 ? core::Severity::kInfo : core::Severity::kDebug,
      fmt::format("no active node took the subscription on any of the {} endpoints; trying again "
                  "every {} ms",
                  conns_.size(), Millis(delay)));
}

void ConsumerSession::OnFrame(TimePoint now, size_t endpoint, const wire::FrameView& frame) {
  using Handler = Status (ConsumerSession::*)(TimePoint, size_t, const wire::FrameView&);
  struct Slot {
    wire::MsgType type;
    Handler handler;
  };
  static constexpr Slot kHandlers[] = {
      {wire::MsgType::kConsumerWelcome, &ConsumerSession::OnWelcome},  // the answer to the hello
      {wire::MsgType::kConsumerUpdate, &ConsumerSession::OnUpdate},    // an op or a fragment
      {wire::MsgType::kConsumerPing, &ConsumerSession::OnPing},        // the node is alive
  };
  for (const Slot& slot : kHandlers) {
    if (slot.type != frame.type) continue;
    Status handled = (this->*slot.handler)(now, endpoint, frame);
    if (!handled.ok()) Close(now, endpoint, handled.message(), /*protocol_error=*/true);
    return;
  }
  Close(now, endpoint,
        fmt::format("unexpected frame of type {} from a node", static_cast<int>(frame.type)),
        /*protocol_error=*/true);
}

void ConsumerSession::Log(core::Severity severity, std::string text) {
  effects_.logs.push_back({.severity = severity, .text = std::move(text)});
}

}  // namespace hasync::consumer
