// ConsumerSession: updates and replays, applied to the key index and reported as changes.
#include <fmt/format.h>

#include <unordered_set>

#include "consumer/session.h"

namespace hasync::consumer {

using State = Connection::State;

Status ConsumerSession::OnUpdate(TimePoint now, size_t endpoint, const wire::FrameView& frame) {
  const Connection& c = conns_[endpoint];
  if (c.ack_only) return ProtocolError("an update on an ack-only connection");
  if (c.state != State::kSubscribed) return ProtocolError("an update before the welcome");
  Result<wire::ConsumerUpdate> decoded = wire::DecodeConsumerUpdate(frame.payload, config_.limits);
  if (!decoded.ok()) return decoded.status();
  const wire::ConsumerUpdate& update = *decoded;
  if (Status checked = CheckUpdate(update); !checked.ok()) return checked;
  ++counters_.updates;
  if (update.replay) {
    counters_.replayed_records += update.records.size();
    for (const wire::UpdateRecord& r : update.records) {
      counters_.replayed_bytes += r.key.size() + r.value.size();
    }
  }
  // The common case, a whole op in one frame, is applied straight from the frame.
  if (!assembly_.open() && !update.more) {
    Apply(now, update, update.records);
    return Status::Ok();
  }
  if (Status added = assembly_.Add(update); !added.ok()) return added;
  if (update.more) return Status::Ok();
  std::vector<wire::UpdateRecord> records = assembly_.Records();
  Apply(now, assembly_.header(), records);
  assembly_.Clear();
  return Status::Ok();
}

Status ConsumerSession::CheckUpdate(const wire::ConsumerUpdate& update) const {
  if (update.channel != channel_) {
    return ProtocolError(
        fmt::format("an update of channel {:#x} on channel {:#x}", update.channel, channel_));
  }
  if (update.op <= resume_.last_op()) {
    return ProtocolError(fmt::format("an update of op {}, not above the last op applied ({})",
                                     update.op, resume_.last_op()));
  }
  return Status::Ok();
}

void ConsumerSession::Apply(TimePoint now, const wire::ConsumerUpdate& header,
                            std::span<const wire::UpdateRecord> records) {
  AppliedOp op{.op = header.op, .term = header.term, .replay = header.replay, .changes = {}};
  if (header.replay) {
    ApplyReplay(header.reset, records, op);
    ++counters_.replays;
  } else {
    ApplyLive(records, op);
  }
  resume_.Applied(header.op, header.term, header.mask);
  ++counters_.ops;
  effects_.applied.push_back(std::move(op));
  ScheduleAck(now);
}

void ConsumerSession::ApplyLive(std::span<const wire::UpdateRecord> records, AppliedOp& op) {
  op.changes.reserve(records.size());
  for (const wire::UpdateRecord& r : records) {
    bool deleted = r.kind == wire::UpdateKind::kDelete;
    if (deleted) {
      index_.Erase(r.key);
    } else {
      index_.Put(r.key, r.section, ValueHash(r.value));
    }
    op.changes.push_back(
        {.key = std::string(r.key), .value = std::string(r.value), .deleted = deleted});
  }
}

// A replay gives current values: only what differs from the copy is a change. The records of
// its reset sections replace the copy's, so a held key of those sections that it does not
// carry is gone.
void ConsumerSession::ApplyReplay(uint64_t reset, std::span<const wire::UpdateRecord> records,
                                  AppliedOp& op) {
  std::unordered_set<std::string_view> carried;
  if (reset != 0) carried.reserve(records.size());
  for (const wire::UpdateRecord& r : records) {
    if (reset != 0) carried.insert(r.key);
    if (r.kind == wire::UpdateKind::kDelete) {
      if (index_.Erase(r.key)) {
        op.changes.push_back({.key = std::string(r.key), .value = {}, .deleted = true});
      }
    } else if (index_.Put(r.key, r.section, ValueHash(r.value))) {
      op.changes.push_back(
          {.key = std::string(r.key), .value = std::string(r.value), .deleted = false});
    }
  }
  for (uint8_t section = 0; section < wire::kSectionCount; ++section) {
    if (((reset >> section) & 1) == 0) continue;
    std::vector<std::string> gone;
    for (std::string_view key : index_.Section(section)) {
      if (!carried.contains(key)) gone.emplace_back(key);
    }
    for (std::string& key : gone) {
      index_.Erase(key);
      op.changes.push_back({.key = std::move(key), .value = {}, .deleted = true});
    }
  }
}

}  // namespace hasync::consumer
