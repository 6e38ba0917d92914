// The Publisher's inputs (each hands over to PublisherImpl and leaves the timer's deadline in
// the effects), and what it shows of its channels.
#include "replay/publisher.h"

#include <xxhash.h>

#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

// A ChannelState must fit in a frame: 32 bytes per entry, and room for the table and prefix.
constexpr size_t kMaxPendingOpsOnWire = (wire::kDefaultMaxFrameBytes - (256u << 10)) / 32;

// The largest hello: its fixed fields, the longest table, prefix and name, a full ring.
uint32_t MaxHelloFrame(const wire::ConsumerLimits& limits) {
  const size_t bytes = wire::kFrameOverheadBytes + 27 + 2 + limits.max_table_name_bytes + 2 +
                       limits.max_key_bytes + 2 + wire::kMaxConsumerNameBytes + 2 +
                       wire::kMaxResumeRingEntries * 24;
  return static_cast<uint32_t>(bytes);
}

PublisherConfig Clamped(PublisherConfig config) {
  config.max_pending_ops = std::min(config.max_pending_ops, kMaxPendingOpsOnWire);
  return config;
}

// Every history goes to the standby at each bulk sync, counted toward the node's unacked
// bytes: past max_unacked_bytes the snapshot alone would start the next resync, for ever. So
// the histories of max_channels channels stay within half of it.
size_t PendingOpsWithinSnapshot(size_t max_pending_ops, size_t max_channels,
                                const core::CoreConfig& core) {
  constexpr size_t kEntryBytes = 32;
  constexpr size_t kFewest = 16;
  const size_t per_channel =
      core.max_unacked_bytes / 2 / kEntryBytes / std::max<size_t>(max_channels, 1);
  return std::min(max_pending_ops, std::max(per_channel, kFewest));
}

}  // namespace

std::string_view PhaseName(ChannelPhase phase) {
  switch (phase) {
    case ChannelPhase::kAway:
      return "away";
    case ChannelPhase::kLive:
      return "live";
    case ChannelPhase::kReplaying:
      return "replaying";
    case ChannelPhase::kBehind:
      return "behind";
  }
  return "unknown";
}

PublisherImpl::PublisherImpl(const PublisherConfig& settings, NodeId node_id,
                             uint64_t channel_id_seed, PublisherEffects& effects,
                             PublisherCounters& counts)
    : config(settings),
      self(node_id),
      id_seed(channel_id_seed),
      fx(effects),
      counters(counts),
      max_input_frame(MaxHelloFrame(settings.limits)) {}

Publisher::Publisher(PublisherConfig config, NodeId self, uint64_t channel_id_seed)
    : config_(Clamped(std::move(config))),
      impl_(std::make_unique<PublisherImpl>(config_, self, channel_id_seed, effects_, counters_)) {}

Publisher::~Publisher() = default;

void Publisher::Attach(core::Node& node) {
  const store::Limits& held = node.config().limits;
  config_.limits =
      wire::ConsumerLimits{std::min(held.max_table_name_bytes, store::kTableNameBytesHardCap),
                           std::min(held.max_key_bytes, store::kKeyBytesHardCap),
                           std::min(held.max_value_bytes, store::kValueBytesHardCap)};
  impl_->max_input_frame = MaxHelloFrame(config_.limits);
  config_.max_pending_ops =
      PendingOpsWithinSnapshot(config_.max_pending_ops, config_.max_channels, node.config());
  impl_->node = &node;
  node.SetStreamExtension(this);
}

uint64_t Publisher::settings_digest() const {
  const std::string text = fmt::format("consumers|{}", config_.max_channels);
  return XXH3_64bits(text.data(), text.size());
}

void Publisher::SetSectionFunction(std::string_view table, SectionFunction fn) {
  impl_->section_functions.insert_or_assign(std::string(table), std::move(fn));
}

void Publisher::OnConnected(core::TimePoint now, ConnId conn) {
  impl_->now = now;
  impl_->Connected(conn);
  effects_.timer = impl_->timer_at;
}

void Publisher::OnBytes(core::TimePoint now, ConnId conn, std::span<const uint8_t> bytes) {
  impl_->now = now;
  impl_->Bytes(conn, bytes);
  impl_->PumpReplays();
  effects_.timer = impl_->timer_at;
}

void Publisher::OnClosed(core::TimePoint now, ConnId conn) {
  impl_->now = now;
  impl_->Closed(conn);
  impl_->PumpReplays();
  effects_.timer = impl_->timer_at;
}

void Publisher::OnWritten(core::TimePoint now, ConnId conn, size_t queued) {
  impl_->now = now;
  impl_->Written(conn, queued);
  impl_->PumpReplays();
  effects_.timer = impl_->timer_at;
}

void Publisher::OnTimer(core::TimePoint now) {
  impl_->now = now;
  impl_->Tick();
  impl_->PumpReplays();
  effects_.timer = impl_->timer_at;
}

void Publisher::OnBulkBegin(core::TimePoint now, core::Node& node) {
  impl_->now = now;
  (void)node;  // the one attached
  impl_->SendSnapshot();
}

void Publisher::OnFlush(core::TimePoint now, core::Node& node) {
  impl_->now = now;
  (void)node;
  impl_->Flush();
  effects_.timer = impl_->timer_at;
}

Status Publisher::OnStreamFrame(core::TimePoint now, const wire::FrameView& frame) {
  impl_->now = now;
  return impl_->StreamFrame(frame);
}

void Publisher::OnIncrementalRecord(std::string_view table, std::string_view key) {
  impl_->IncrementalRecord(table, key);
}

void Publisher::OnRoleChanged(core::TimePoint now, Role, Role to, bool held_everything) {
  impl_->now = now;
  impl_->RoleChanged(to, held_everything);
  effects_.timer = impl_->timer_at;
}

std::vector<ChannelInfo> Publisher::Channels() const {
  std::vector<ChannelInfo> out;
  out.reserve(impl_->channels.size());
  for (const auto& [id, ch] : impl_->channels) {
    ChannelInfo info;
    info.channel = id;
    info.table = ch.table();
    info.prefix = ch.prefix;
    info.name = ch.name;
    info.phase = ch.phase;
    info.sent_op = ch.sent_op;
    info.acked_op = ch.history.acked_op();
    info.pending_ops = ch.history.pending_ops();
    info.replays = ch.replays;
    info.replayed_records = ch.replayed_records;
    info.replayed_bytes = ch.replayed_bytes;
    info.last_replay_records = ch.last_replay_records;
    info.last_replay = ch.last_replay;
    info.away_since = ch.away_since;
    out.push_back(std::move(info));
  }
  return out;
}

const ChannelHistory* Publisher::History(uint64_t channel) const {
  Channel* ch = impl_->Find(channel);
  return ch != nullptr ? &ch->history : nullptr;
}

}  // namespace hasync::replay
