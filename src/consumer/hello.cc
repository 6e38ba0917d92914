// ConsumerSession: the hello with the resume point, the node's welcome, and pings.
#include <fmt/format.h>

#include "consumer/session.h"

namespace hasync::consumer {

using State = Connection::State;

void ConsumerSession::SendHello(TimePoint now, size_t endpoint) {
  bool ack_only = conns_[endpoint].ack_only;
  wire::ConsumerHello hello{
      .version = wire::kConsumerProtocolVersion,
      .ack_only = ack_only,
      .channel = channel_,
      .last_op = resume_.last_op(),
      .last_term = resume_.last_term(),
      .table = config_.table,
      .prefix = config_.prefix,
      .name = config_.name,
      // The ring only helps a node that plans a replay; an ack-only connection gets none.
      .ring = ack_only ? std::vector<wire::ResumeEntry>{} : resume_.Ring(),
  };
  Send(now, endpoint, hello);
}

Status ConsumerSession::OnWelcome(TimePoint now, size_t endpoint, const wire::FrameView& frame) {
  Result<wire::ConsumerWelcome> decoded = wire::DecodeConsumerWelcome(frame.payload);
  if (!decoded.ok()) return decoded.status();
  const wire::ConsumerWelcome& welcome = *decoded;
  Connection& c = conns_[endpoint];
  if (c.state != State::kOpen) return ProtocolError("a second welcome on one connection");
  if (c.ack_only) {
    // A standby accepts acks (kOk). Any other answer: that node will not take them now.
    if (welcome.status != wire::WelcomeStatus::kOk) {
      Close(now, endpoint,
            fmt::format("node {} does not take acks: {}", welcome.node_id, welcome.text));
      conns_[endpoint].redial_at = now + config_.refused_delay;
    }
    return Status::Ok();
  }
  switch (welcome.status) {
    case wire::WelcomeStatus::kOk:
      if (welcome.channel == 0 || (channel_ != 0 && welcome.channel != channel_)) {
        return ProtocolError(fmt::format("the welcome names channel {}, the hello asked for {}",
                                         welcome.channel, channel_));
      }
      Subscribed(now, endpoint, welcome);
      return Status::Ok();
    case wire::WelcomeStatus::kNotActive:
      Close(now, endpoint, fmt::format("node {} is not active", welcome.node_id));
      return Status::Ok();
    case wire::WelcomeStatus::kRefused:
      // A bad subscription (table, prefix, limits) would be refused again at once: retry slowly.
      Log(core::Severity::kWarning, fmt::format("node {} refused the subscription to table {}: {}",
                                                welcome.node_id, config_.table, welcome.text));
      refused_ = true;
      Close(now, endpoint, "subscription refused");
      return Status::Ok();
  }
  return ProtocolError("a welcome with an unknown status");  // the decoder checks the range
}

void ConsumerSession::Subscribed(TimePoint now, size_t endpoint,
                                 const wire::ConsumerWelcome& welcome) {
  Connection& c = conns_[endpoint];
  c.state = State::kSubscribed;
  // The hello reported last_op: the node takes it as an ack (the seeds' retransmitted ack).
  c.acked_op = resume_.last_op();
  counters_.acked_op = resume_.last_op();
  ++counters_.resumes;
  channel_ = welcome.channel;
  node_id_ = welcome.node_id;
  ack_mode_ = welcome.ack_mode;
  ack_interval_ = std::chrono::milliseconds(welcome.ack_interval_ms);
  tried_ = 0;
  refused_ = false;
  rounds_ = 0;
  Log(core::Severity::kInfo,
      fmt::format("subscribed to table {}{} on node {} (endpoint {}), channel {:#x}, after op {}",
                  config_.table, config_.prefix.empty() ? "" : " prefix " + config_.prefix,
                  welcome.node_id, endpoint, channel_, resume_.last_op()));
  if (ack_mode_ != wire::AckMode::kDirect) return;
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (i != endpoint && conns_[i].state == State::kIdle) Dial(now, i, /*ack_only=*/true);
  }
}

Status ConsumerSession::OnPing(TimePoint, size_t, const wire::FrameView& frame) {
  // OnBytes already moved the silence deadline; the ping only has to be well-formed.
  return wire::DecodeConsumerPing(frame.payload).status();
}

}  // namespace hasync::consumer
