// ConsumerSession: the consumer side of selective replay (docs/consumers.md), sans-IO.
//
// It holds one subscription (a table, optionally a key prefix) of a pair given as a list of
// endpoints, and follows whichever node is active: it dials them in turn, sends a hello with
// its resume point, and moves on when a node answers "not active", goes silent for dead_after,
// closes, or breaks the protocol. It applies updates in op order and reports each applied op to
// the application as a batch of changes; for a replay it works out the deletes itself: it keeps
// every key it holds with its section and a hash of its value, so the records of a replayed
// section that the replay does not carry are deleted, and records the replay resends unchanged
// are not reported again. It acknowledges cumulatively every ack_interval (the node says how
// long); with ack_mode direct it also keeps an ack-only connection to the other nodes.
//
// What it guarantees: the application sees the changes of each op exactly once and in op
// order; after a resume and quiet, its copy equals the active's records of the subscription.
// Whatever a node sends, memory stays bounded (frames by max_frame_bytes, an op being assembled
// from fragments by `assembly`) and a bad frame closes that connection (counted in
// protocol_errors), never the session. Inputs are the calls below with the time; outputs
// accumulate in effects(). Given the same inputs, the same outputs.
//
// The driver's side of the contract: one connection per endpoint index at a time. It hands
// `applied` to the application before it writes `sends`, carries out `close` (dropping what is
// still queued to those connections; it then reports nothing more of them) before `connect`,
// and calls OnTimer once effects().timer (current after every call) has passed.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "consumer/connection.h"
#include "consumer/key_index.h"
#include "consumer/op_assembly.h"
#include "consumer/resume_point.h"
#include "core/config.h"
#include "core/effects.h"
#include "store/limits.h"
#include "wire/consumer_messages.h"
#include "wire/frame.h"

namespace hasync::consumer {

using core::Duration;
using core::TimePoint;

struct SessionConfig {
  size_t endpoints = 1;  // how many nodes; the driver maps indexes to addresses
  std::string table;
  std::string prefix;
  std::string name;
  uint64_t channel = 0;  // resume this channel (it starts empty: a full replay); 0: a new one
  Duration reconnect_delay = std::chrono::milliseconds(100);  // between rounds of all endpoints
  // Between rounds in which a node refused the subscription: it would refuse it again soon.
  Duration refused_delay = std::chrono::seconds(1);
  Duration ping_interval = std::chrono::seconds(1);
  Duration dead_after = std::chrono::seconds(3);
  size_t ring_size = wire::kMaxResumeRingEntries;
  // A consumer does not know the nodes' store limits: it takes the hard caps.
  wire::ConsumerLimits limits = {.max_table_name_bytes = store::kTableNameBytesHardCap,
                                 .max_key_bytes = store::kKeyBytesHardCap,
                                 .max_value_bytes = store::kValueBytesHardCap};
  uint32_t max_frame_bytes = wire::kDefaultMaxFrameBytes;
  AssemblyLimits assembly;
};

// One change the application applies.
struct Change {
  std::string key;
  std::string value;
  bool deleted = false;
};

// The changes of one op, in the order the application applies them.
struct AppliedOp {
  uint64_t op = 0;
  uint64_t term = 0;
  bool replay = false;
  std::vector<Change> changes;
};

struct SessionEffects {
  std::vector<size_t> connect;  // dial these endpoints
  struct Send {
    size_t endpoint;
    std::vector<uint8_t> bytes;
  };
  std::vector<Send> sends;
  std::vector<size_t> close;       // close these connections
  TimePoint timer = core::kNever;  // call OnTimer at this time; kNever: no need
  std::vector<AppliedOp> applied;  // hand to the application, in order
  std::vector<core::LogLine> logs;
};

struct SessionStatus {
  uint64_t channel = 0;
  int active_endpoint = -1;  // the endpoint it receives from, -1 while none
  uint16_t node_id = 0;      // that node's id
  uint64_t last_op = 0;
  uint64_t last_term = 0;
  uint64_t acked_op = 0;  // the last op acknowledged to the active (its hello counts)
  uint64_t records = 0;   // records held
  uint64_t ops = 0;
  uint64_t updates = 0;  // update frames received
  uint64_t resumes = 0;  // hellos answered kOk
  uint64_t replays = 0;
  uint64_t replayed_records = 0;
  uint64_t replayed_bytes = 0;
  uint64_t reconnects = 0;  // subscription connections dialed after the first
  uint64_t protocol_errors = 0;
};

class ConsumerSession {
 public:
  explicit ConsumerSession(SessionConfig config);
  ConsumerSession(const ConsumerSession&) = delete;
  ConsumerSession& operator=(const ConsumerSession&) = delete;

  void Start(TimePoint now);
  void OnConnected(TimePoint now, size_t endpoint);
  void OnBytes(TimePoint now, size_t endpoint, std::span<const uint8_t> bytes);
  // The connection failed to open or closed.
  void OnClosed(TimePoint now, size_t endpoint, std::string_view reason);
  void OnTimer(TimePoint now);
  // Closes every connection; inert afterwards.
  void Stop(TimePoint now);

  SessionEffects& effects() { return effects_; }
  SessionStatus status() const;
  // The copy's keys with their section and value hash, for checks: key -> (section, XXH3-64).
  const IndexMap& index() const { return index_.map(); }

 private:
  // session.cc: connections and following the active.
  void Dial(TimePoint now, size_t endpoint, bool ack_only);
  // Closes a connection (asking the driver to), then as Forget.
  void Close(TimePoint now, size_t endpoint, std::string_view why, bool protocol_error = false);
  // Forgets a connection that is gone and reacts: the subscription's loss closes the ack-only
  // connections and looks for the active again; an ack-only one is dialed again later.
  void Forget(TimePoint now, size_t endpoint, std::string_view why, bool protocol_error);
  void LostSubscription(TimePoint now, size_t endpoint);
  void TryNext(TimePoint now, size_t after);
  bool subscribed() const;
  void OnFrame(TimePoint now, size_t endpoint, const wire::FrameView& frame);
  // hello.cc: the hello and its answer.
  void SendHello(TimePoint now, size_t endpoint);
  Status OnWelcome(TimePoint now, size_t endpoint, const wire::FrameView& frame);
  void Subscribed(TimePoint now, size_t endpoint, const wire::ConsumerWelcome& welcome);
  Status OnPing(TimePoint now, size_t endpoint, const wire::FrameView& frame);
  // apply.cc: updates and replays.
  Status OnUpdate(TimePoint now, size_t endpoint, const wire::FrameView& frame);
  Status CheckUpdate(const wire::ConsumerUpdate& update) const;
  void Apply(TimePoint now, const wire::ConsumerUpdate& header,
             std::span<const wire::UpdateRecord> records);
  void ApplyLive(std::span<const wire::UpdateRecord> records, AppliedOp& op);
  void ApplyReplay(uint64_t reset, std::span<const wire::UpdateRecord> records, AppliedOp& op);
  // keepalive.cc: acks, pings, silence, and the timer.
  void Tick(TimePoint now);
  void SendAcks(TimePoint now);
  void ScheduleAck(TimePoint now);
  void ArmTimer();
  template <typename Message>
  void Send(TimePoint now, size_t endpoint, const Message& message);
  void Log(core::Severity severity, std::string text);

  SessionConfig config_;
  SessionEffects effects_;
  std::vector<Connection> conns_;  // one per endpoint
  bool started_ = false;
  bool stopped_ = false;
  int main_ = -1;         // the endpoint of the subscription connection (being set up or up)
  size_t tried_ = 0;      // endpoints tried in this round without a subscription
  bool refused_ = false;  // a node refused the subscription in this round
  size_t next_ = 0;       // the endpoint the next round starts with
  TimePoint retry_at_ = core::kNever;  // the next round starts then
  bool dialed_ = false;                // a subscription connection was dialed before (reconnects)
  size_t rounds_ = 0;      // rounds without a subscription since the last one (to log once)
  uint64_t conn_ids_ = 0;  // the last Connection::id given
  uint64_t channel_;
  uint16_t node_id_ = 0;
  wire::AckMode ack_mode_ = wire::AckMode::kForwarded;
  Duration ack_interval_{0};
  TimePoint ack_at_ = core::kNever;  // acks go out then
  ResumePoint resume_;
  KeyIndex index_;
  OpAssembly assembly_;
  SessionStatus counters_;  // its counters; the rest of status() is filled from the state
};

template <typename Message>
void ConsumerSession::Send(TimePoint now, size_t endpoint, const Message& message) {
  Connection& c = conns_[endpoint];
  // Frames for one connection in a row share one buffer: one write for the driver.
  if (effects_.sends.empty() || effects_.sends.back().endpoint != endpoint) {
    effects_.sends.push_back({.endpoint = endpoint, .bytes = {}});
  }
  wire::FrameWriter writer(&effects_.sends.back().bytes);
  wire::Encode(writer, c.next_seq++, message);
  c.last_sent = now;
}

}  // namespace hasync::consumer
