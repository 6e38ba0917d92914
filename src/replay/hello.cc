// What a consumer sends: the hello (subscription or ack-only) and its answer, acks, pings.
// Bad input closes that connection only, and is counted.
#include <algorithm>
#include <chrono>
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

// Op ids a consumer may report: far above any a channel reaches, far enough below 2^64 that
// the ids this node numbers after them never wrap.
constexpr uint64_t kMaxReportedOp = uint64_t{1} << 62;

}  // namespace

bool PublisherImpl::OnHello(ConnId id, Conn& c, wire::Payload payload) {
  if (c.state != Conn::State::kHello) return Fail(id, "a second hello");
  Result<wire::ConsumerHello> hello = wire::DecodeConsumerHello(payload, config.limits);
  if (!hello.ok()) return Fail(id, hello.status().message());
  if (hello->version != wire::kConsumerProtocolVersion) {
    return Refuse(id, c, wire::WelcomeStatus::kRefused, hello->channel,
                  fmt::format("consumer protocol version {}; this node speaks {}", hello->version,
                              wire::kConsumerProtocolVersion));
  }
  if (hello->ack_only) {
    // Acks for the standby's copy of the history (ack_mode direct), on any role.
    if (hello->channel == 0) {
      return Refuse(id, c, wire::WelcomeStatus::kRefused, 0, "an ack-only hello names a channel");
    }
    c.state = Conn::State::kAckOnly;
    c.channel = hello->channel;
    Welcome(id, c, hello->channel);
    return true;
  }
  if (role != Role::kActive) {
    return Refuse(id, c, wire::WelcomeStatus::kNotActive, hello->channel,
                  fmt::format("node {} is not active", self));
  }
  if (node->SwitchingOver()) {
    // Like a write: what it would change (a new channel, a replay's op) would reach the peer
    // after the request, when the peer may already be active and no longer take it. The
    // consumer tries again and finds the new active.
    return Refuse(id, c, wire::WelcomeStatus::kNotActive, hello->channel,
                  fmt::format("node {} is handing the active role over", self));
  }
  return Subscribe(id, c, hello.value());
}

bool PublisherImpl::Subscribe(ConnId id, Conn& c, wire::ConsumerHello& hello) {
  Result<Channel*> found = ChannelFor(hello);
  if (!found.ok()) {
    return Refuse(id, c, wire::WelcomeStatus::kRefused, hello.channel, found.status().message());
  }
  Channel& ch = *found.value();
  if (ch.conn) Close(*ch.conn, "its consumer came back on another connection");
  ++counters.resumes;
  c.state = Conn::State::kSubscribed;
  c.channel = ch.id;
  ch.conn = id;
  ch.name = std::move(hello.name);
  Welcome(id, c, ch.id);
  ch.resume = ResumePoint{hello.last_op, hello.last_term, std::move(hello.ring)};
  ch.catch_up = false;
  MarkDirty(ch);
  ReplayPlan plan = PlanFor(ch);
  if (plan.kind == ReplayKind::kNone) {
    ++counters.resumes_in_sync;
    InSync(ch, plan);
  } else {
    ch.phase = ChannelPhase::kReplaying;
    Enqueue(ch);
  }
  return true;
}

// The hello's channel, made if this node does not know it (new, dropped, or made by another
// active): with an empty history, so the consumer gets a full replay.
Result<Channel*> PublisherImpl::ChannelFor(wire::ConsumerHello& hello) {
  if (hello.last_op >= kMaxReportedOp) {
    return Rejected(fmt::format("op {} is beyond the op ids a channel uses", hello.last_op));
  }
  if (Channel* ch = hello.channel != 0 ? Find(hello.channel) : nullptr) {
    if (ch->table() == hello.table && ch->prefix == hello.prefix) return ch;
    return Rejected(fmt::format("channel {} subscribes to table {} prefix '{}'", ch->id,
                                ch->table(), ch->prefix));
  }
  if (channels.size() >= config.max_channels) {
    return Rejected(fmt::format("this node holds its maximum of {} channels", channels.size()));
  }
  Result<TableWatch*> watch = Watch(hello.table);
  if (!watch.ok()) return watch.status();
  return &Insert(hello.channel != 0 ? hello.channel : NewChannelId(), watch.value(),
                 std::move(hello.prefix));
}

bool PublisherImpl::Refuse(ConnId id, Conn& c, wire::WelcomeStatus status, uint64_t channel,
                           std::string text) {
  ++counters.refused;
  if (text.size() > wire::kMaxWelcomeTextBytes) text.resize(wire::kMaxWelcomeTextBytes);
  Send(id, c, wire::ConsumerWelcome{status, self, channel, config.ack_mode, 0, text});
  Close(id, fmt::format("hello refused: {}", text));
  return false;
}

void PublisherImpl::Welcome(ConnId id, Conn& c, uint64_t channel) {
  const auto interval_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(config.ack_interval).count();
  Send(id, c,
       wire::ConsumerWelcome{wire::WelcomeStatus::kOk, self, channel, config.ack_mode,
                             static_cast<uint32_t>(std::clamp<int64_t>(interval_ms, 1, UINT32_MAX)),
                             ""});
}

bool PublisherImpl::OnAck(ConnId id, Conn& c, wire::Payload payload) {
  if (c.state == Conn::State::kHello) return Fail(id, "an ack before the hello");
  Result<wire::ConsumerAck> ack = wire::DecodeConsumerAck(payload);
  if (!ack.ok()) return Fail(id, ack.status().message());
  if (ack->channel != c.channel) {
    return Fail(id, fmt::format("an ack for channel {} on the connection of channel {}",
                                ack->channel, c.channel));
  }
  Channel* ch = Find(ack->channel);
  if (ch == nullptr) return true;  // an ack-only connection for a channel not known here
  // Once its resume is settled, the consumer holds no op at or above next_op.
  const bool settled = ch->phase != ChannelPhase::kReplaying || ch->catch_up;
  if (role == Role::kActive && c.state == Conn::State::kSubscribed && settled &&
      ack->op >= ch->next_op) {
    return Fail(id, fmt::format("an ack for op {}, above the last op {} of channel {}", ack->op,
                                ch->next_op - 1, ch->id));
  }
  // Only an op this node knows, of the same term, says what the consumer holds of this
  // history; any other (another active's op during a split-brain, or, on a standby, one whose
  // ConsumerOps has not arrived yet) is ignored: acking past it could hide ops from a resume.
  if (ack->op <= ch->history.acked_op() || ch->history.TermOf(ack->op) != ack->term) return true;
  ch->history.Ack(ack->op, ack->term);
  if (role == Role::kActive && config.ack_mode == wire::AckMode::kForwarded && !ch->ack_moved) {
    ch->ack_moved = true;
    acks.push_back(ch->id);
  }
  return true;
}

bool PublisherImpl::OnPing(ConnId id, Conn&, wire::Payload payload) {
  // Receiving it was the point (last_rx); it carries nothing.
  if (Result<wire::ConsumerPing> ping = wire::DecodeConsumerPing(payload); !ping.ok()) {
    return Fail(id, ping.status().message());
  }
  return true;
}

}  // namespace hasync::replay
