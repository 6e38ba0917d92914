// ConsumerSession: the timer's work (rounds of dialing, acks, pings, the silence deadline).
#include <fmt/format.h>

#include <algorithm>

#include "consumer/session.h"

namespace hasync::consumer {

using State = Connection::State;

void ConsumerSession::Tick(TimePoint now) {
  if (retry_at_ <= now) {
    retry_at_ = core::kNever;
    Dial(now, next_, /*ack_only=*/false);
  }
  for (size_t i = 0; i < conns_.size(); ++i) {
    Connection& c = conns_[i];
    if (c.state == State::kIdle) {
      if (c.redial_at > now) continue;
      c.redial_at = core::kNever;
      if (subscribed() && ack_mode_ == wire::AckMode::kDirect) Dial(now, i, /*ack_only=*/true);
    } else if (now - c.last_received >= config_.dead_after) {
      Close(now, i,
            fmt::format("nothing received for {} ms",
                        std::chrono::duration_cast<std::chrono::milliseconds>(now - c.last_received)
                            .count()));
    }
  }
  if (ack_at_ <= now) SendAcks(now);
  for (size_t i = 0; i < conns_.size(); ++i) {
    if (conns_[i].up() && now - conns_[i].last_sent >= config_.ping_interval) {
      Send(now, i, wire::ConsumerPing{});
    }
  }
}

// Cumulative: one ack covers every op applied since the last, on every connection that
// carries acks (the subscription's; the ack-only ones in ack_mode direct).
void ConsumerSession::SendAcks(TimePoint now) {
  ack_at_ = core::kNever;
  wire::ConsumerAck ack{.channel = channel_, .op = resume_.last_op(), .term = resume_.last_term()};
  for (size_t i = 0; i < conns_.size(); ++i) {
    Connection& c = conns_[i];
    bool carries = c.ack_only ? c.up() : c.state == State::kSubscribed;
    if (!carries || c.acked_op >= ack.op) continue;
    Send(now, i, ack);
    c.acked_op = ack.op;
    if (!c.ack_only) counters_.acked_op = ack.op;
  }
}

void ConsumerSession::ScheduleAck(TimePoint now) {
  if (resume_.last_op() == 0 || ack_at_ != core::kNever) return;
  // Even with an interval of 0 the ack waits for the timer, so that the driver has handed the
  // op to the application before its ack is written.
  ack_at_ = now + ack_interval_;
}

void ConsumerSession::ArmTimer() {
  TimePoint at = std::min(retry_at_, ack_at_);
  for (const Connection& c : conns_) {
    if (c.state == State::kIdle) {
      at = std::min(at, c.redial_at);
      continue;
    }
    at = std::min(at, c.last_received + config_.dead_after);
    if (c.up()) at = std::min(at, c.last_sent + config_.ping_interval);
  }
  effects_.timer = stopped_ ? core::kNever : at;
}

}  // namespace hasync::consumer
