// Publisher: the node side of consumers (docs/consumers.md), sans-IO like the core it extends.
//
// Each subscription of a consumer (a table, optionally a key prefix) is a channel with its own
// id and strictly increasing op ids. On the active, the changes of a turn to a subscribed table
// become, at the turn's end, one op per channel that the changes touch: an update to the
// consumer (the records' current values, with their sections) and, through the replay stream,
// an entry in the standby's copy of the channel's history (same channel, op id, term, section
// mask, and the keys). Acks come from the consumer, cumulatively; the active forwards them to
// the standby (ack_mode forwarded) or the consumer sends them to the standby itself (direct).
//
// When a consumer resumes (reconnects after a failover, a cut or a restart of its own) the
// planner (replay/planner.h) decides from its report what it misses and the publisher replays
// exactly that, in one op (a replay that resends sections walks its table a slice per turn,
// store/table_walk.h; what changes meanwhile follows as a catch-up); a consumer in sync gets
// nothing. A consumer whose connection backs up past window_bytes stops receiving updates and
// gets a catch-up replay once it drains. A channel whose consumer stays away for
// consumer_timeout is dropped.
//
// What a new active knows: the history the replay stream gave it, plus every key an
// incremental batch changed after the last ConsumerOps it received (an op nobody announced;
// it becomes an op of its own at the first turn as active). A node that takes over without
// having completed a bulk sync cannot know what its consumers hold: they all get full replays.
// A direct ack for ops the standby has not received yet counts only up to the ops it has.
//
// Bounds (replay/config.h): connections, channels, each channel's pending queue and keys, the
// bytes queued toward a consumer (a window, plus one slice or one replay by keys), replays in
// flight, the time a hello may take and a consumer may stay silent or away. A consumer may
// subscribe only to a table the node holds. Bad input from a consumer closes its connection
// and is counted; it never touches another consumer's channel.
//
// Inputs are the calls below and the core::StreamExtension hooks, each with the time; outputs
// accumulate in effects(). Given the same inputs, the same outputs.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/effects.h"
#include "core/node.h"
#include "core/stream_extension.h"
#include "replay/config.h"
#include "replay/history.h"
#include "replay/planner.h"
#include "replay/sections.h"

namespace hasync::replay {

using ConnId = uint64_t;

struct PublisherEffects {
  struct Send {
    ConnId conn;
    std::vector<uint8_t> bytes;
  };
  std::vector<Send> sends;    // in order; consecutive sends to one connection may be merged
  std::vector<ConnId> close;  // after their sends
  // The one timer: after every call it holds the deadline to (re)arm at (kNever: none).
  core::TimePoint timer = core::kNever;
  std::vector<core::LogLine> logs;
};

enum class ChannelPhase : uint8_t {
  kAway = 0,       // no consumer connected (or this node is standby)
  kLive = 1,       // in sync, receiving updates as they happen
  kReplaying = 2,  // a replay is queued toward it, or being written a slice per turn
  kBehind = 3,     // its connection backed up; catch-up replay once drained
};
std::string_view PhaseName(ChannelPhase phase);

// One channel, for hasyncctl consumers and the metrics.
struct ChannelInfo {
  uint64_t channel = 0;
  std::string table;
  std::string prefix;
  std::string name;  // the consumer's
  ChannelPhase phase = ChannelPhase::kAway;
  uint64_t sent_op = 0;   // the last op sent (this node)
  uint64_t acked_op = 0;  // the last op acknowledged
  uint64_t pending_ops = 0;
  uint64_t replays = 0;
  uint64_t replayed_records = 0;  // by this node, over the channel's life
  uint64_t replayed_bytes = 0;
  uint64_t last_replay_records = 0;  // the most recent replay
  ReplayKind last_replay = ReplayKind::kNone;
  core::TimePoint away_since{0};
};

struct PublisherCounters {
  uint64_t connections = 0;  // accepted
  uint64_t refused = 0;      // hellos refused (not active, bad subscription, limits)
  uint64_t protocol_errors = 0;
  uint64_t silent = 0;  // connections cut: no hello, or nothing received, within dead_after
  uint64_t ops = 0;
  uint64_t updates_sent = 0;  // live update frames (replays count below)
  uint64_t records_sent = 0;  // records in live updates
  uint64_t resumes = 0;
  uint64_t resumes_in_sync = 0;        // no replay needed
  uint64_t replays[4] = {0, 0, 0, 0};  // by ReplayKind
  uint64_t replayed_records = 0;
  uint64_t replayed_bytes = 0;
  // What full replays in place of the same replays would have sent: the subscriptions' records.
  // Resumes that needed no replay count nothing here (counting them would walk the table).
  uint64_t full_resend_records = 0;
  uint64_t behind = 0;   // times a consumer's window filled
  uint64_t dropped = 0;  // channels dropped after consumer_timeout
  // Since this node last became active: what failover cost.
  uint64_t failover_replayed_records = 0;
  uint64_t failover_replayed_bytes = 0;
  uint64_t failover_full_resend_records = 0;
};

class PublisherImpl;  // replay/publisher_impl.h

class Publisher : public core::StreamExtension {
 public:
  // `channel_id_seed`: a random number drawn anew for each life of the node (the daemon reads
  // the system's random source; the simulator draws it). The ids of the channels this life
  // makes come from it: the node id in the top 16 bits, 48 scattered bits below, so a node that
  // restarted and forgot its ids does not give a consumer one an earlier life gave (two lives
  // share an id among n channels with a chance near n^2 / 2^49).
  Publisher(PublisherConfig config, NodeId self, uint64_t channel_id_seed);
  ~Publisher() override;
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Before the node starts: installs the publisher as the node's stream extension.
  void Attach(core::Node& node);
  // Before Attach: `table`'s sections come from `fn` instead of DefaultSection.
  void SetSectionFunction(std::string_view table, SectionFunction fn);

  // The consumer port. What these calls change reaches the standby at the node's next Flush
  // (the driver ends these turns with Node::Flush as it does any other). The driver reports
  // every write of a connection's bytes: a replay's slot frees, and a consumer that fell
  // behind gets its catch-up, once the connection has nothing queued.
  void OnConnected(core::TimePoint now, ConnId conn);
  void OnBytes(core::TimePoint now, ConnId conn, std::span<const uint8_t> bytes);
  void OnClosed(core::TimePoint now, ConnId conn);
  // The driver wrote bytes of `conn`: `queued` are still waiting.
  void OnWritten(core::TimePoint now, ConnId conn, size_t queued);
  void OnTimer(core::TimePoint now);

  // core::StreamExtension
  void OnBulkBegin(core::TimePoint now, core::Node& node) override;
  void OnFlush(core::TimePoint now, core::Node& node) override;
  Status OnStreamFrame(core::TimePoint now, const wire::FrameView& frame) override;
  void OnIncrementalRecord(std::string_view table, std::string_view key) override;
  void OnRoleChanged(core::TimePoint now, Role from, Role to, bool held_everything) override;

  PublisherEffects& effects() { return effects_; }
  std::vector<ChannelInfo> Channels() const;
  const PublisherCounters& counters() const { return counters_; }
  const PublisherConfig& config() const { return config_; }
  // What both nodes of a pair must share (the hello compares it): a standby refuses a stream
  // with more channels than its max_channels.
  uint64_t settings_digest() const;
  // For the simulator's checks: the history of `channel`, or null.
  const ChannelHistory* History(uint64_t channel) const;

 private:
  PublisherConfig config_;
  PublisherEffects effects_;
  PublisherCounters counters_;
  std::unique_ptr<PublisherImpl> impl_;  // refers to the three above
};

}  // namespace hasync::replay
