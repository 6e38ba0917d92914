// Channels and the tables they watch: lookup, creation (ids this node makes), removal, and the
// flags that tell the standby at the next flush.
#include <algorithm>
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

constexpr uint64_t kLow48 = (uint64_t{1} << 48) - 1;

// A bijection of the 48-bit numbers (xorshifts and odd multipliers, each invertible mod 2^48)
// that scatters consecutive inputs: the ids of one life stay distinct, and look random.
uint64_t Scatter48(uint64_t x) {
  x &= kLow48;
  x ^= x >> 23;
  x = (x * 0x9E3779B97F4BULL) & kLow48;
  x ^= x >> 25;
  x = (x * 0xC2B2AE3D27D5ULL) & kLow48;
  x ^= x >> 24;
  return x;
}

}  // namespace

Channel::Channel(uint64_t channel_id, TableWatch* table_watch, std::string channel_prefix,
                 const PublisherConfig& config)
    : id(channel_id),
      watch(table_watch),
      prefix(std::move(channel_prefix)),
      history(config.max_pending_ops, config.policy.keys_max) {}

Result<TableWatch*> PublisherImpl::Watch(std::string_view table) {
  if (auto it = tables.find(table); it != tables.end()) return it->second.get();
  if (node == nullptr) return Unavailable("the publisher is not attached to a node");
  // A subscription may come before the table's first record (a line card that boots before
  // its routes exist), and a standby may learn of a channel before it sees a record of its
  // table: ObserveTable then makes the table, empty ([limits] max_tables bounds how many).
  auto fn = section_functions.find(table);
  auto watch = std::make_shared<TableWatch>(
      std::string(table), fn != section_functions.end() ? fn->second : SectionFunction());
  watch->collecting = role == Role::kActive;
  if (Status s = node->ObserveTable(table, watch); !s.ok()) return s;
  return tables.emplace(std::string(table), std::move(watch)).first->second.get();
}

Channel* PublisherImpl::Find(uint64_t id) {
  auto it = channels.find(id);
  return it != channels.end() ? &it->second : nullptr;
}

Channel& PublisherImpl::Insert(uint64_t id, TableWatch* watch, std::string prefix) {
  Channel& ch = channels.try_emplace(id, id, watch, std::move(prefix), config).first->second;
  ++watch->channels;
  prefixes_stale = true;
  return ch;
}

void PublisherImpl::Erase(uint64_t id) {
  auto it = channels.find(id);
  if (it == channels.end()) return;
  if (it->second.conn) Close(*it->second.conn, "its channel was dropped");
  TableWatch* watch = it->second.watch;
  channels.erase(it);
  if (--watch->channels == 0) tables.erase(watch->name());
  prefixes_stale = true;
}

uint64_t PublisherImpl::NewChannelId() {
  // Random below the node id, from the life's id_seed: a node that restarted has forgotten the
  // ids it gave, and neither a counter nor its clock (which may be behind the terms of its
  // earlier life) would keep it from giving one of them again.
  uint64_t id = 0;
  do {
    id = (uint64_t{self} << 48) | Scatter48(id_seed + next_counter++);
  } while (channels.contains(id) || (id & kLow48) == 0);
  return id;
}

void PublisherImpl::MarkDirty(Channel& ch) {
  if (ch.dirty) return;
  ch.dirty = true;
  dirty.push_back(ch.id);
}

void PublisherImpl::FlagFull(Channel& ch) {
  ch.full_replay = true;
  MarkDirty(ch);
}

void PublisherImpl::Detach(Channel& ch) {
  ch.conn.reset();
  ch.open.reset();  // its consumer applies none of it: the op stays pending
  ch.phase = ChannelPhase::kAway;
  ch.away_since = now;
  ch.catch_up = false;
  ch.resume = ResumePoint();
  if (role == Role::kActive) Arm(now + config.consumer_timeout);
}

wire::ChannelState PublisherImpl::StateOf(const Channel& ch) const {
  return wire::ChannelState{
      ch.id,      ch.next_op, ch.history.acked_op(), ch.history.acked_term(), ch.full_replay,
      ch.table(), ch.prefix,  ch.history.Ranges()};
}

void PublisherImpl::Log(core::Severity severity, std::string text) {
  fx.logs.push_back(core::LogLine{severity, std::move(text)});
}

}  // namespace hasync::replay
