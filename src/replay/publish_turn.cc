// The end of a turn on the active (Node::Flush): the changed channels go to the standby first
// (ChannelState), then the turn's changes become one op per channel they touch, sent as
// updates to the consumers that are live and, as one ConsumerOps, to the standby; then the
// acks that moved and the channels dropped. The turn's keys are read once per table and
// shared by every channel (and, as one KeyList, by their histories).
#include <algorithm>
#include <memory>
#include <utility>

#include "replay/publisher_impl.h"

namespace hasync::replay {

void PublisherImpl::Flush() {
  if (role != Role::kActive) return;
  PumpReplays();
  const bool to_peer = node->CanSendToPeer();
  SendStates(to_peer);
  PublishTurn(to_peer);
  SendAcksAndDrops(to_peer);
  PumpReplays();  // the catch-ups this turn started
}

void PublisherImpl::SendStates(bool to_peer) {
  std::sort(dirty.begin(), dirty.end());
  for (uint64_t id : dirty) {
    Channel* ch = Find(id);
    if (ch == nullptr || !ch->dirty) continue;
    ch->dirty = false;
    if (to_peer) node->SendToPeer(now, StateOf(*ch));
  }
  dirty.clear();
}

void PublisherImpl::SendAcksAndDrops(bool to_peer) {
  std::sort(acks.begin(), acks.end());
  wire::ConsumerAcks m;
  for (uint64_t id : acks) {
    Channel* ch = Find(id);
    if (ch == nullptr || !ch->ack_moved) continue;
    ch->ack_moved = false;
    m.acks.push_back({id, ch->history.acked_op(), ch->history.acked_term()});
  }
  acks.clear();
  if (to_peer && !m.acks.empty()) node->SendToPeer(now, m);
  for (const wire::ChannelDrop& drop : drops) {
    if (to_peer) node->SendToPeer(now, drop);
  }
  drops.clear();
}

// The changed keys of every watched table into `keys` (one entry per table), with their
// sections and current records in the watch's scratch. False if nothing changed.
bool PublisherImpl::CollectTurn(KeyList& keys) {
  turn_tables.clear();
  for (auto& [name, watch] : tables) {
    TableWatch& w = *watch;
    if (w.changed.empty() && !w.cleared && w.unknown == 0) continue;
    w.turn_sections.resize(w.changed.size());
    for (size_t i = 0; i < w.changed.size(); ++i) w.turn_sections[i] = w.SectionAt(w.changed, i);
    w.turn_index = keys.size();
    keys.push_back(wire::TableKeys{name, w.changed.Take()});
    const store::Table* table = node->store().Find(name);
    w.turn_records.clear();
    for (const std::string& key : keys.back().keys) {
      w.turn_records.push_back(table != nullptr ? table->Get(key) : std::nullopt);
    }
    turn_tables.push_back(&w);
  }
  return !turn_tables.empty();
}

void PublisherImpl::PublishTurn(bool to_peer) {
  KeyList keys;
  if (!CollectTurn(keys)) return;
  size_t key_total = 0;
  bool keyed = true;
  for (const TableWatch* w : turn_tables) {
    key_total += keys[w->turn_index].keys.size();
    keyed = keyed && w->unknown == 0;
  }
  keyed = keyed && key_total <= config.max_op_keys;
  MakeOps(keys, keyed);
  counters.ops += turn_ops.size();
  if (to_peer && !turn_ops.empty()) {
    // The keys travel in the frame and come back to be shared by the histories: no copy.
    wire::ConsumerOps m{term, keyed, keyed ? std::move(keys) : KeyList(), std::move(turn_ops)};
    node->SendToPeer(now, m);
    if (keyed) keys = std::move(m.tables);
    turn_ops = std::move(m.ops);
  }
  auto shared = keyed ? std::make_shared<const KeyList>(std::move(keys)) : nullptr;
  for (size_t i = 0; i < turn_ops.size(); ++i) {
    Channel& ch = *turn_channels[i];
    const size_t count = keyed ? (*shared)[ch.watch->turn_index].keys.size() : 0;
    ch.history.Append(turn_ops[i].op, term, turn_ops[i].mask, shared, count);
  }
  for (TableWatch* w : turn_tables) {
    w->turn_index = TableWatch::kNotInTurn;
    w->cleared = false;
    w->unknown = 0;
    w->turn_records.clear();
  }
}

// One op for each channel the turn's keys touch (in turn_ops and turn_channels), sent at once
// to the consumers that are live.
void PublisherImpl::MakeOps(const KeyList& keys, bool keyed) {
  turn_ops.clear();
  turn_channels.clear();
  for (auto& [id, ch] : channels) {
    TableWatch& w = *ch.watch;
    if (w.turn_index == TableWatch::kNotInTurn) continue;
    if (w.cleared) {  // the records it held went at once: only a full replay is safe
      FlagFull(ch);
      if (ch.phase == ChannelPhase::kLive) FallBehind(ch, conns.at(*ch.conn));
      continue;
    }
    const std::vector<std::string>& changed = keys[w.turn_index].keys;
    SectionMask mask = w.unknown;
    bool touched = w.unknown != 0;
    for (size_t i = 0; i < changed.size(); ++i) {
      if (!HasPrefix(changed[i], ch.prefix)) continue;
      mask |= SectionBit(w.turn_sections[i]);
      touched = true;
    }
    if (!touched) continue;
    const uint64_t op = ch.next_op++;
    turn_ops.push_back(wire::ConsumerOps::Op{id, op, mask, keyed});
    turn_channels.push_back(&ch);
    if (ch.phase == ChannelPhase::kLive) SendLive(ch, w, changed, op, mask);
  }
}

void PublisherImpl::SendLive(Channel& ch, const TableWatch& watch,
                             const std::vector<std::string>& keys, uint64_t op, SectionMask mask) {
  Conn& c = conns.at(*ch.conn);
  if (watch.unknown != 0) {  // changes whose keys this node does not know: by sections
    FallBehind(ch, c);
    return;
  }
  if (LiveQueued(c) >= config.window_bytes) {
    ++counters.behind;
    FallBehind(ch, c);
    return;
  }
  const wire::ConsumerUpdate header{ch.id, op, term, mask, false, false, 0, {}};
  std::vector<uint8_t>& bytes = Out(*ch.conn);
  const size_t before = bytes.size();
  UpdateStream out(&bytes, &c.next_seq, header, config.fragment_bytes);
  for (size_t i = 0; i < keys.size(); ++i) {
    if (!HasPrefix(keys[i], ch.prefix)) continue;
    const std::optional<store::RecordView>& r = watch.turn_records[i];
    out.Add(
        r ? wire::UpdateRecord{watch.turn_sections[i], wire::UpdateKind::kPut, keys[i], r->value}
          : wire::UpdateRecord{watch.turn_sections[i], wire::UpdateKind::kDelete, keys[i], {}});
  }
  out.Finish(false);
  Emitted(c, bytes.size() - before);
  ch.sent_op = op;
  counters.updates_sent += out.frames();
  counters.records_sent += out.records();
}

}  // namespace hasync::replay
