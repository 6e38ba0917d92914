// ScriptedNodes: the nodes a ConsumerSession talks to, played by the test. Each test script
// accepts (or refuses) the session's dials, answers with hand-made frames (welcomes, updates,
// pings, or raw bytes), reads back what the session sent, and moves virtual time so the
// session's timer fires exactly when it asked. Everything the session asks of its driver is
// recorded: dials, closes, applied ops, log lines.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "consumer/session.h"
#include "wire/consumer_messages.h"

namespace hasync::consumer::testing {

using namespace std::chrono_literals;

struct Frame {
  wire::MsgType type;
  std::vector<uint8_t> payload;
};

// A record of an update, owning its bytes (wire::UpdateRecord only views them).
struct Rec {
  uint8_t section = 0;
  std::string key;
  std::string value;
  bool deleted = false;
};
Rec Put(std::string key, std::string value, uint8_t section = 0);
Rec Del(std::string key, uint8_t section = 0);

// The header of an update: channel, op, term, mask, flags and reset.
struct UpdateHeader {
  uint64_t channel = 0;
  uint64_t op = 0;
  uint64_t term = 1;
  uint64_t mask = 0;
  bool replay = false;
  bool more = false;
  uint64_t reset = 0;
};
// The update with header `h` and `records`, viewing their bytes (keep them alive).
wire::ConsumerUpdate MakeUpdate(const UpdateHeader& h, const std::vector<Rec>& records);

class ScriptedNodes {
 public:
  explicit ScriptedNodes(SessionConfig config);

  ConsumerSession& session() { return session_; }
  TimePoint now() const { return now_; }

  void Start();
  // The connection the session dialed to `endpoint` opens (the dial must be pending).
  void Accept(size_t endpoint);
  // It fails or closes, seen by the session.
  void Refuse(size_t endpoint, std::string_view reason = "connection refused");
  // Runs the session's timer through `span` of virtual time.
  void Advance(core::Duration span);

  // Node `endpoint` sends a message (numbered on its connection) or raw bytes.
  void SendWelcome(size_t endpoint, wire::WelcomeStatus status, uint64_t channel,
                   wire::AckMode mode = wire::AckMode::kForwarded, uint32_t ack_interval_ms = 10);
  void SendUpdate(size_t endpoint, const UpdateHeader& header, const std::vector<Rec>& records);
  void SendPing(size_t endpoint);
  void SendRaw(size_t endpoint, std::span<const uint8_t> bytes);
  // Accepts endpoint `endpoint` and welcomes the subscription as `channel`.
  void Subscribe(size_t endpoint, uint64_t channel, wire::AckMode mode = wire::AckMode::kForwarded,
                 uint32_t ack_interval_ms = 10);

  // What the session sent to `endpoint` and the test has not read yet, oldest first.
  std::deque<Frame>& inbox(size_t endpoint) { return inbox_[endpoint]; }
  // Pops the next frame, which must be of `type` (else the test fails and it returns empty).
  Frame Next(size_t endpoint, wire::MsgType type);
  wire::ConsumerHello NextHello(size_t endpoint);
  wire::ConsumerAck NextAck(size_t endpoint);
  // Drops the pings at the front of the inbox.
  void SkipPings(size_t endpoint);

  // The session's requests, in order, since the test last cleared them.
  std::vector<size_t> dials;
  std::vector<size_t> closes;
  std::vector<AppliedOp> applied;
  std::vector<core::LogLine> logs;
  // Whether endpoint i holds an open connection (dialed and accepted, not closed).
  std::vector<bool> open;

 private:
  void Pump();
  template <typename Message>
  void Deliver(size_t endpoint, const Message& message);

  ConsumerSession session_;
  TimePoint now_{0};
  std::vector<uint64_t> seq_;  // the node's next frame number on each connection
  std::vector<wire::FrameReader> readers_;
  std::vector<std::deque<Frame>> inbox_;
  std::vector<bool> dialing_;
};

}  // namespace hasync::consumer::testing
