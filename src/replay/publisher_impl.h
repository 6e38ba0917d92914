// PublisherImpl: the publisher's state and the helpers its files share. Internal to
// src/replay; replay/publisher.h says what the publisher does and guarantees.
//
// Files: publisher.cc (the inputs), channels.cc (channels and tables), roles.cc (role changes,
// the snapshot at a bulk sync), connections.cc (the consumer port: frames in and out, closing),
// hello.cc (hellos and acks), timers.cc (the one timer), publish_turn.cc (a turn's ops and
// updates), replay_build.cc (replays from the store), standby.cc (the replay stream on the
// standby).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "replay/publisher.h"
#include "replay/table_watch.h"
#include "replay/update_stream.h"
#include "wire/consumer_messages.h"
#include "wire/frame.h"

namespace hasync::replay {

// A replay being written. One by keys is written whole in its first slice. One that resets
// sections is written a slice per turn from a walk of its table (the table as it was when the
// replay began, less what changed since: those changes are ops above the replay's, which a
// catch-up sends once it is done).
struct OpenReplay {
  std::unique_ptr<store::TableWalk> walk;  // null: a replay by keys, or no such table
  wire::ConsumerUpdate header;             // every fragment's
  ReplayKind kind = ReplayKind::kNone;
  uint64_t records = 0;       // sent so far
  uint64_t record_bytes = 0;  // keys and values sent so far
  uint64_t subscription = 0;  // live records of the subscription it met
};

struct Channel {
  Channel(uint64_t channel_id, TableWatch* table_watch, std::string channel_prefix,
          const PublisherConfig& config);

  const std::string& table() const { return watch->name(); }

  uint64_t id;
  TableWatch* watch;  // its table's, which lives while a channel uses it
  std::string prefix;
  std::string name;
  ChannelHistory history;
  uint64_t next_op = 1;
  uint64_t sent_op = 0;
  ChannelPhase phase = ChannelPhase::kAway;
  std::optional<ConnId> conn;  // the subscription connection attached, if any
  core::TimePoint away_since{0};
  bool full_replay = false;          // nothing smaller than a full replay is safe
  bool catch_up = false;             // the replay it waits for is a catch-up, not a resume
  bool queued = false;               // in the replay queue
  bool dirty = false;                // a ChannelState at the next flush
  bool ack_moved = false;            // a ConsumerAcks entry at the next flush
  ResumePoint resume;                // what its consumer reported, until the replay is built
  std::unique_ptr<OpenReplay> open;  // the replay being written, if any
  uint64_t replays = 0;
  uint64_t replayed_records = 0;
  uint64_t replayed_bytes = 0;
  uint64_t last_replay_records = 0;
  ReplayKind last_replay = ReplayKind::kNone;
};

struct Conn {
  enum class State : uint8_t { kHello, kSubscribed, kAckOnly };
  Conn(uint32_t max_frame_bytes, core::TimePoint now)
      : reader(max_frame_bytes), opened(now), last_rx(now), last_tx(now) {}

  wire::FrameReader reader;
  State state = State::kHello;
  uint64_t channel = 0;
  uint64_t next_seq = 1;
  uint64_t emitted = 0;     // bytes handed to the driver
  size_t queued = 0;        // of those, not yet written (last OnWritten, plus sent since)
  uint64_t replay_end = 0;  // `emitted` at the end of its replay's latest slice
  bool replay_slot = false;
  core::TimePoint opened;
  core::TimePoint last_rx;
  core::TimePoint last_tx;
};

class PublisherImpl {
 public:
  PublisherImpl(const PublisherConfig& settings, NodeId node_id, uint64_t channel_id_seed,
                PublisherEffects& effects, PublisherCounters& counts);

  // channels.cc.
  Result<TableWatch*> Watch(std::string_view table);
  Channel* Find(uint64_t id);
  Channel& Insert(uint64_t id, TableWatch* watch, std::string prefix);
  void Erase(uint64_t id);
  uint64_t NewChannelId();
  void MarkDirty(Channel& ch);
  void FlagFull(Channel& ch);
  void Detach(Channel& ch);  // no consumer attached any more: kAway
  wire::ChannelState StateOf(const Channel& ch) const;
  void Log(core::Severity severity, std::string text);

  // roles.cc.
  void RoleChanged(Role to, bool held_everything);
  void TakeOver(bool held_everything);
  void StepDown();
  void SendSnapshot();

  // connections.cc: the consumer port.
  void Connected(ConnId id);
  void Bytes(ConnId id, std::span<const uint8_t> bytes);
  void Closed(ConnId id);
  void Written(ConnId id, size_t queued);
  template <typename Message>
  void Send(ConnId id, Conn& c, const Message& m);
  std::vector<uint8_t>& Out(ConnId id);
  void Emitted(Conn& c, size_t bytes);
  void Close(ConnId id, std::string_view why);
  bool Fail(ConnId id, std::string_view why);  // a protocol error: closes, counts; false
  size_t LiveQueued(const Conn& c) const;      // queued bytes besides its replay's

  // hello.cc: what a consumer sends.
  bool OnHello(ConnId id, Conn& c, wire::Payload payload);
  bool OnAck(ConnId id, Conn& c, wire::Payload payload);
  bool OnPing(ConnId id, Conn& c, wire::Payload payload);
  bool Subscribe(ConnId id, Conn& c, wire::ConsumerHello& hello);
  Result<Channel*> ChannelFor(wire::ConsumerHello& hello);
  bool Refuse(ConnId id, Conn& c, wire::WelcomeStatus status, uint64_t channel, std::string text);
  void Welcome(ConnId id, Conn& c, uint64_t channel);

  // timers.cc.
  void Tick();
  void Arm(core::TimePoint deadline);  // the timer fires no later than `deadline`
  void Rearm();                        // recomputes it from every deadline

  // replay_build.cc.
  void Enqueue(Channel& ch);
  // Its ops stop going out as updates; it gets a catch-up once `c` has nothing queued.
  void FallBehind(Channel& ch, const Conn& c);
  void PumpReplays();
  void BuildReplay(Channel& ch, Conn& c);
  // The open replay's next slice (after `keys`, in its first); finishes it at the walk's end.
  // False if that closed the connection.
  bool WriteSlice(Channel& ch, Conn& c, const std::vector<std::string>& keys);
  void WriteWalkChanges(const Channel& ch, const OpenReplay& replay, UpdateStream& out);
  void FinishReplay(Channel& ch);
  // One slice of each open replay whose connection has room.
  void AdvanceReplays();
  bool ReadyForSlice(const Channel& ch) const;
  void CountReplay(Channel& ch, const OpenReplay& replay);
  ReplayPlan PlanFor(const Channel& ch) const;
  void InSync(Channel& ch, const ReplayPlan& plan);

  // publish_turn.cc.
  void Flush();
  void PublishTurn(bool to_peer);
  bool CollectTurn(KeyList& keys);
  void MakeOps(const KeyList& keys, bool keyed);
  void SendLive(Channel& ch, const TableWatch& watch, const std::vector<std::string>& keys,
                uint64_t op, SectionMask mask);
  void SendStates(bool to_peer);
  void SendAcksAndDrops(bool to_peer);

  // standby.cc.
  Status StreamFrame(const wire::FrameView& frame);
  Status OnChannelState(wire::Payload payload);
  Status OnConsumerOps(wire::Payload payload);
  Status OnConsumerAcks(wire::Payload payload);
  Status OnChannelDrop(wire::Payload payload);
  void IncrementalRecord(std::string_view table, std::string_view key);
  void ClearUncovered();
  void UncoveredToTurn();
  void RefreshPrefixes();

  const PublisherConfig& config;
  NodeId self;
  uint64_t id_seed;  // random, of this life: channel ids (NewChannelId)
  PublisherEffects& fx;
  PublisherCounters& counters;
  uint32_t max_input_frame;  // the largest frame a consumer may send (a hello)
  core::Node* node = nullptr;
  core::TimePoint now{0};  // of the input being handled
  Role role = Role::kInit;
  uint64_t term = 0;  // this node's, since it became active
  std::map<uint64_t, Channel> channels;
  std::map<ConnId, Conn> conns;
  std::map<std::string, std::shared_ptr<TableWatch>, std::less<>> tables;
  std::map<std::string, SectionFunction, std::less<>> section_functions;
  std::deque<uint64_t> replay_queue;
  size_t replays_in_flight = 0;
  std::vector<uint64_t> dirty;  // channels with `dirty` set
  std::vector<uint64_t> acks;   // channels with `ack_moved` set
  std::vector<wire::ChannelDrop> drops;
  bool prefixes_stale = true;  // standby: TableWatch prefixes need a refresh
  uint64_t next_counter = 0;   // of the channel ids this life made
  core::TimePoint timer_at = core::kNever;
  // Scratch of PublishTurn, kept for their capacity.
  std::vector<TableWatch*> turn_tables;
  std::vector<wire::ConsumerOps::Op> turn_ops;
  std::vector<Channel*> turn_channels;  // of each turn_ops entry
};

template <typename Message>
void PublisherImpl::Send(ConnId id, Conn& c, const Message& m) {
  std::vector<uint8_t>& out = Out(id);
  const size_t before = out.size();
  wire::FrameWriter frames(&out);
  wire::Encode(frames, c.next_seq++, m);
  Emitted(c, out.size() - before);
}

}  // namespace hasync::replay
