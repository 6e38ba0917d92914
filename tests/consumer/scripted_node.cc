#include "scripted_node.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>

namespace hasync::consumer::testing {

Rec Put(std::string key, std::string value, uint8_t section) {
  return {.section = section, .key = std::move(key), .value = std::move(value), .deleted = false};
}

Rec Del(std::string key, uint8_t section) {
  return {.section = section, .key = std::move(key), .value = {}, .deleted = true};
}

ScriptedNodes::ScriptedNodes(SessionConfig config)
    : session_(config),
      seq_(config.endpoints, 1),
      readers_(config.endpoints, wire::FrameReader()),
      inbox_(config.endpoints),
      dialing_(config.endpoints, false) {
  open.assign(config.endpoints, false);
}

void ScriptedNodes::Start() {
  session_.Start(now_);
  Pump();
}

void ScriptedNodes::Accept(size_t endpoint) {
  ASSERT_TRUE(dialing_[endpoint]) << "endpoint " << endpoint << " was not dialed";
  dialing_[endpoint] = false;
  open[endpoint] = true;
  seq_[endpoint] = 1;
  readers_[endpoint] = wire::FrameReader();
  session_.OnConnected(now_, endpoint);
  Pump();
}

void ScriptedNodes::Refuse(size_t endpoint, std::string_view reason) {
  dialing_[endpoint] = false;
  open[endpoint] = false;
  session_.OnClosed(now_, endpoint, reason);
  Pump();
}

void ScriptedNodes::Advance(core::Duration span) {
  TimePoint until = now_ + span;
  for (int fired = 0; session_.effects().timer <= until; ++fired) {
    ASSERT_LT(fired, 1000000) << "the session's timer does not move";
    now_ = std::max(now_, session_.effects().timer);
    session_.OnTimer(now_);
    Pump();
  }
  now_ = until;
}

template <typename Message>
void ScriptedNodes::Deliver(size_t endpoint, const Message& message) {
  std::vector<uint8_t> bytes;
  wire::FrameWriter writer(&bytes);
  wire::Encode(writer, seq_[endpoint]++, message);
  SendRaw(endpoint, bytes);
}

void ScriptedNodes::SendWelcome(size_t endpoint, wire::WelcomeStatus status, uint64_t channel,
                                wire::AckMode mode, uint32_t ack_interval_ms) {
  Deliver(endpoint, wire::ConsumerWelcome{.status = status,
                                          .node_id = static_cast<uint16_t>(endpoint + 1),
                                          .channel = channel,
                                          .ack_mode = mode,
                                          .ack_interval_ms = ack_interval_ms,
                                          .text = status == wire::WelcomeStatus::kOk ? "" : "no"});
}

wire::ConsumerUpdate MakeUpdate(const UpdateHeader& h, const std::vector<Rec>& records) {
  wire::ConsumerUpdate update{.channel = h.channel,
                              .op = h.op,
                              .term = h.term,
                              .mask = h.mask,
                              .replay = h.replay,
                              .more = h.more,
                              .reset = h.reset,
                              .records = {}};
  for (const Rec& r : records) {
    update.records.push_back(
        {.section = r.section,
         .kind = r.deleted ? wire::UpdateKind::kDelete : wire::UpdateKind::kPut,
         .key = r.key,
         .value = r.value});
  }
  return update;
}

void ScriptedNodes::SendUpdate(size_t endpoint, const UpdateHeader& h,
                               const std::vector<Rec>& records) {
  Deliver(endpoint, MakeUpdate(h, records));
}

void ScriptedNodes::SendPing(size_t endpoint) { Deliver(endpoint, wire::ConsumerPing{}); }

void ScriptedNodes::SendRaw(size_t endpoint, std::span<const uint8_t> bytes) {
  session_.OnBytes(now_, endpoint, bytes);
  Pump();
}

void ScriptedNodes::Subscribe(size_t endpoint, uint64_t channel, wire::AckMode mode,
                              uint32_t ack_interval_ms) {
  Accept(endpoint);
  NextHello(endpoint);
  SendWelcome(endpoint, wire::WelcomeStatus::kOk, channel, mode, ack_interval_ms);
}

Frame ScriptedNodes::Next(size_t endpoint, wire::MsgType type) {
  std::deque<Frame>& inbox = inbox_[endpoint];
  if (inbox.empty()) {
    ADD_FAILURE() << "endpoint " << endpoint << ": no frame, expected type "
                  << static_cast<int>(type);
    return {.type = type, .payload = {}};
  }
  Frame frame = std::move(inbox.front());
  inbox.pop_front();
  EXPECT_EQ(static_cast<int>(frame.type), static_cast<int>(type)) << "endpoint " << endpoint;
  return frame;
}

wire::ConsumerHello ScriptedNodes::NextHello(size_t endpoint) {
  Frame frame = Next(endpoint, wire::MsgType::kConsumerHello);
  Result<wire::ConsumerHello> hello = wire::DecodeConsumerHello(frame.payload, {});
  EXPECT_TRUE(hello.ok()) << hello.status().ToString();
  return hello.ok() ? *hello : wire::ConsumerHello{};
}

wire::ConsumerAck ScriptedNodes::NextAck(size_t endpoint) {
  SkipPings(endpoint);
  Frame frame = Next(endpoint, wire::MsgType::kConsumerAck);
  Result<wire::ConsumerAck> ack = wire::DecodeConsumerAck(frame.payload);
  EXPECT_TRUE(ack.ok()) << ack.status().ToString();
  return ack.ok() ? *ack : wire::ConsumerAck{};
}

void ScriptedNodes::SkipPings(size_t endpoint) {
  std::deque<Frame>& inbox = inbox_[endpoint];
  while (!inbox.empty() && inbox.front().type == wire::MsgType::kConsumerPing) inbox.pop_front();
}

void ScriptedNodes::Pump() {
  SessionEffects effects = std::exchange(session_.effects(), {});
  session_.effects().timer = effects.timer;  // the harness reads it back in Advance
  for (core::LogLine& line : effects.logs) logs.push_back(std::move(line));
  for (AppliedOp& op : effects.applied) applied.push_back(std::move(op));
  for (const SessionEffects::Send& send : effects.sends) {
    EXPECT_TRUE(open[send.endpoint]) << "bytes for endpoint " << send.endpoint << ", not open";
    readers_[send.endpoint].Feed(send.bytes);
    while (true) {
      Result<wire::FrameView> f = readers_[send.endpoint].Next();
      if (!f.ok()) {
        EXPECT_EQ(f.status().code(), Code::kNotFound) << f.status().ToString();
        break;
      }
      inbox_[send.endpoint].push_back(
          {.type = f->type, .payload = {f->payload.begin(), f->payload.end()}});
    }
  }
  for (size_t endpoint : effects.close) {
    closes.push_back(endpoint);
    open[endpoint] = false;
    dialing_[endpoint] = false;
  }
  for (size_t endpoint : effects.connect) {
    dials.push_back(endpoint);
    dialing_[endpoint] = true;
  }
}

}  // namespace hasync::consumer::testing
