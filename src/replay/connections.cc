// The consumer port: connections open and close, frames come in (one handler per message type)
// and go out, and what the driver reports of its writes.
#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

using Handler = bool (PublisherImpl::*)(ConnId, Conn&, wire::Payload);
struct HandlerSlot {
  wire::MsgType type;
  Handler handler;
};

// What a consumer may send; anything else is a protocol error. Each handler returns whether
// the connection is still open.
constexpr HandlerSlot kHandlers[] = {
    {wire::MsgType::kConsumerHello, &PublisherImpl::OnHello},  // first frame, once
    {wire::MsgType::kConsumerAck, &PublisherImpl::OnAck},      // after the welcome
    {wire::MsgType::kConsumerPing, &PublisherImpl::OnPing},    // keeps it alive
};

}  // namespace

void PublisherImpl::Connected(ConnId id) {
  if (conns.contains(id)) Closed(id);  // the driver reused an id: the old one is gone
  if (conns.size() >= config.max_connections) {
    ++counters.refused;
    fx.close.push_back(id);
    Log(core::Severity::kWarning,
        fmt::format("consumer connection refused: {} open already", conns.size()));
    return;
  }
  ++counters.connections;
  conns.try_emplace(id, max_input_frame, now);
  Arm(now + config.dead_after);
}

void PublisherImpl::Bytes(ConnId id, std::span<const uint8_t> bytes) {
  auto it = conns.find(id);
  if (it == conns.end()) return;  // closed already
  Conn& c = it->second;
  c.last_rx = now;
  c.reader.Feed(bytes);
  while (true) {
    Result<wire::FrameView> frame = c.reader.Next();
    if (!frame.ok()) {
      if (frame.status().code() != Code::kNotFound) Fail(id, frame.status().message());
      return;
    }
    const HandlerSlot* slot = nullptr;
    for (const HandlerSlot& s : kHandlers) {
      if (s.type == frame->type) slot = &s;
    }
    if (slot == nullptr) {
      Fail(id,
           fmt::format("message type {} is not for a node", static_cast<unsigned>(frame->type)));
      return;
    }
    if (!(this->*slot->handler)(id, c, frame->payload)) return;
  }
}

void PublisherImpl::Closed(ConnId id) {
  auto it = conns.find(id);
  if (it == conns.end()) return;
  Conn& c = it->second;
  if (c.replay_slot) --replays_in_flight;
  if (c.state == Conn::State::kSubscribed) {
    if (Channel* ch = Find(c.channel); ch != nullptr && ch->conn == id) Detach(*ch);
  }
  conns.erase(it);
}

void PublisherImpl::Written(ConnId id, size_t queued) {
  auto it = conns.find(id);
  if (it == conns.end()) return;
  Conn& c = it->second;
  c.queued = static_cast<size_t>(std::min<uint64_t>(queued, c.emitted));
  Channel* open = Find(c.channel);
  if (open != nullptr && open->conn == id && ReadyForSlice(*open)) {
    if (!WriteSlice(*open, c, {})) return;
  }
  if (c.queued != 0) return;
  Arm(c.last_tx + config.ping_interval);
  if (c.replay_slot && !(open != nullptr && open->conn == id && open->open)) {
    c.replay_slot = false;
    --replays_in_flight;
  }
  Channel* ch = Find(c.channel);
  if (c.state == Conn::State::kSubscribed && ch != nullptr && ch->phase == ChannelPhase::kBehind) {
    ch->phase = ChannelPhase::kReplaying;
    ch->catch_up = true;
    Enqueue(*ch);
  }
}

std::vector<uint8_t>& PublisherImpl::Out(ConnId id) {
  if (fx.sends.empty() || fx.sends.back().conn != id) {
    fx.sends.push_back(PublisherEffects::Send{id, {}});
  }
  return fx.sends.back().bytes;
}

void PublisherImpl::Emitted(Conn& c, size_t bytes) {
  c.emitted += bytes;
  c.queued += bytes;
  c.last_tx = now;
  Arm(now + config.ping_interval);
}

void PublisherImpl::Close(ConnId id, std::string_view why) {
  if (!conns.contains(id)) return;
  Log(core::Severity::kInfo, fmt::format("consumer connection {} closed: {}", id, why));
  Closed(id);
  fx.close.push_back(id);
}

bool PublisherImpl::Fail(ConnId id, std::string_view why) {
  ++counters.protocol_errors;
  Close(id, fmt::format("protocol error: {}", why));
  return false;
}

size_t PublisherImpl::LiveQueued(const Conn& c) const {
  const uint64_t written = c.emitted - c.queued;
  const uint64_t replay_left = c.replay_end > written ? c.replay_end - written : 0;
  return c.queued - std::min<uint64_t>(c.queued, replay_left);
}

}  // namespace hasync::replay
