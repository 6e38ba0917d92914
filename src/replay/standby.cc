// The replay stream on the standby: channel snapshots, the ops of each turn, forwarded acks and
// drops, in stream order (one handler per message type); and the "uncovered" keys, the
// changes this node applied that no op announced yet, which become ops of their own if it
// takes over. Records precede the ConsumerOps of their turn on the stream, so a ConsumerOps
// covers every key applied before it.
#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "fmt/format.h"
#include "replay/publisher_impl.h"

namespace hasync::replay {
namespace {

using Handler = Status (PublisherImpl::*)(wire::Payload);
struct StreamSlot {
  wire::MsgType type;
  Handler handler;
};

constexpr StreamSlot kStreamHandlers[] = {
    {wire::MsgType::kChannelState, &PublisherImpl::OnChannelState},  // replaces a channel
    {wire::MsgType::kConsumerOps, &PublisherImpl::OnConsumerOps},    // a turn's ops
    {wire::MsgType::kConsumerAcks, &PublisherImpl::OnConsumerAcks},  // forwarded acks
    {wire::MsgType::kChannelDrop, &PublisherImpl::OnChannelDrop},    // one, or all
};

size_t KeysOf(const KeyList& list, const std::string& table) {
  for (const wire::TableKeys& t : list) {
    if (t.table == table) return t.keys.size();
  }
  return 0;
}

}  // namespace

Status PublisherImpl::StreamFrame(const wire::FrameView& frame) {
  for (const StreamSlot& slot : kStreamHandlers) {
    if (slot.type == frame.type) return (this->*slot.handler)(frame.payload);
  }
  return ProtocolError(fmt::format("message type {} is not part of the replay stream",
                                   static_cast<unsigned>(frame.type)));
}

Status PublisherImpl::OnChannelState(wire::Payload payload) {
  Result<wire::ChannelState> m = wire::DecodeChannelState(payload, config.limits);
  if (!m.ok()) return m.status();
  Channel* ch = Find(m->channel);
  if (ch != nullptr && (ch->table() != m->table || ch->prefix != m->prefix)) {
    Erase(ch->id);
    ch = nullptr;
  }
  if (ch == nullptr) {
    if (channels.size() >= config.max_channels) {
      return ProtocolError(
          fmt::format("the active has more than this node's {} channels", config.max_channels));
    }
    Result<TableWatch*> watch = Watch(m->table);
    if (!watch.ok()) return watch.status();
    ch = &Insert(m->channel, *watch, m->prefix);
  }
  ch->history.Reset(m->acked_op, m->acked_term, m->pending);
  ch->next_op = m->next_op;
  ch->full_replay = m->full_replay;
  return Status::Ok();
}

Status PublisherImpl::OnConsumerOps(wire::Payload payload) {
  Result<wire::ConsumerOps> m = wire::DecodeConsumerOps(payload, config.limits);
  if (!m.ok()) return m.status();
  std::shared_ptr<const KeyList> keys;
  if (m->keys_complete) keys = std::make_shared<const KeyList>(std::move(m->tables));
  for (const wire::ConsumerOps::Op& op : m->ops) {
    Channel* ch = Find(op.channel);
    if (ch == nullptr) {
      return ProtocolError(fmt::format("op {} of unknown channel {}", op.op, op.channel));
    }
    if (op.op < ch->next_op) {
      return ProtocolError(fmt::format("op {} of channel {} is not above its op {}", op.op,
                                       op.channel, ch->next_op - 1));
    }
    ch->next_op = op.op + 1;
    const bool keyed = op.keyed && keys != nullptr;
    ch->history.Append(op.op, m->term, op.mask, keyed ? keys : nullptr,
                       keyed ? KeysOf(*keys, ch->table()) : 0);
  }
  ClearUncovered();
  return Status::Ok();
}

Status PublisherImpl::OnConsumerAcks(wire::Payload payload) {
  Result<wire::ConsumerAcks> m = wire::DecodeConsumerAcks(payload);
  if (!m.ok()) return m.status();
  for (const wire::ConsumerAcks::Ack& ack : m->acks) {
    if (Channel* ch = Find(ack.channel)) ch->history.Ack(ack.op, ack.term);
  }
  return Status::Ok();
}

Status PublisherImpl::OnChannelDrop(wire::Payload payload) {
  Result<wire::ChannelDrop> m = wire::DecodeChannelDrop(payload);
  if (!m.ok()) return m.status();
  if (m->channel != 0) {
    Erase(m->channel);
    return Status::Ok();
  }
  // A bulk sync begins: its snapshot of every channel follows.
  while (!channels.empty()) Erase(channels.begin()->first);
  ClearUncovered();
  return Status::Ok();
}

void PublisherImpl::IncrementalRecord(std::string_view table, std::string_view key) {
  if (role != Role::kStandby) return;
  auto it = tables.find(table);
  if (it == tables.end()) return;
  if (prefixes_stale) RefreshPrefixes();
  it->second->Uncover(key, config.max_op_keys);
}

void PublisherImpl::ClearUncovered() {
  for (auto& [name, watch] : tables) {
    watch->uncovered.Clear();
    watch->uncovered_overflow = 0;
  }
}

// Taking over: what this node applied that no op announced becomes this turn's changes; the
// sections of keys past the bound become changes of unknown keys.
void PublisherImpl::UncoveredToTurn() {
  for (auto& [name, watch] : tables) {
    for (std::string& key : watch->uncovered.Take()) watch->changed.Insert(key);
    watch->unknown |= watch->uncovered_overflow;
    watch->uncovered_overflow = 0;
  }
}

void PublisherImpl::RefreshPrefixes() {
  std::map<TableWatch*, std::vector<std::string>> prefixes;
  for (const auto& [id, ch] : channels) prefixes[ch.watch].push_back(ch.prefix);
  for (auto& [name, watch] : tables) watch->SetPrefixes(std::move(prefixes[watch.get()]));
  prefixes_stale = false;
}

}  // namespace hasync::replay
