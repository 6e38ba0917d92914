#include "sim/consumer_checks.h"

#include <algorithm>
#include <array>

#include "consumer/key_index.h"
#include "fmt/format.h"
#include "sim/consumers.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

// What a consumer accepts (ConsumerSession's own limits).
const wire::ConsumerLimits kLimits = consumer::SessionConfig().limits;

bool HasPrefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

// Node `node`'s live records of the subscription, key -> value.
std::map<std::string, std::string> Records(const core::Node& node, const ConsumerSpec& spec) {
  std::map<std::string, std::string> out;
  const store::Table* table = node.store().Find(spec.table);
  if (table == nullptr) return out;
  table->ForEach([&](const store::RecordView& r) {
    if (HasPrefix(r.key, spec.prefix)) out.emplace(r.key, r.value);
  });
  return out;
}

// The first few differences between `want` (the node's) and `have`, "" if none.
template <typename Held, typename Same>
std::string Diff(const std::map<std::string, std::string>& want, const Held& have, Same same) {
  std::vector<std::string> lines;
  size_t n = 0;
  for (const auto& [key, value] : want) {
    auto it = have.find(key);
    if (it != have.end() && same(key, value, it->second)) continue;
    ++n;
    if (lines.size() < 4) {
      lines.push_back(fmt::format("{}: node {} B, consumer {}", key, value.size(),
                                  it == have.end() ? "absent" : "different"));
    }
  }
  for (const auto& entry : have) {
    if (want.contains(entry.first)) continue;
    ++n;
    if (lines.size() < 4) {
      lines.push_back(fmt::format("{}: node absent, consumer holds it", entry.first));
    }
  }
  if (n == 0) return "";
  return fmt::format("{} keys differ: {}", n, fmt::join(lines, "; "));
}

std::string Hex(uint64_t mask) { return fmt::format("{:#x}", mask); }

// "acked 7@T; 8-9@T 0x.. (2 keys), ...": a history as the failure messages show it, terms by
// their low 32 bits (the node id and the milliseconds' low part).
std::string Show(const replay::ChannelHistory& h, const std::string& table) {
  auto term = [](uint64_t t) { return fmt::format("{:x}", t & 0xffffffffu); };
  std::string out = fmt::format("acked {}@{}", h.acked_op(), term(h.acked_term()));
  for (const replay::PendingEntry& e : h.pending()) {
    size_t keys = 0;
    if (e.keys != nullptr) {
      for (const wire::TableKeys& t : *e.keys) keys += t.table == table ? t.keys.size() : 0;
    }
    out += fmt::format("; {}{}@{} {}{}", e.first_op,
                       e.first_op == e.last_op ? "" : fmt::format("-{}", e.last_op), term(e.term),
                       Hex(e.mask), e.keys != nullptr ? fmt::format(" ({} keys)", keys) : "");
  }
  return out;
}

// The consumer's last few ops, as Show shows the history's.
std::string Show(const std::vector<OpRef>& ops) {
  std::string out;
  for (size_t i = ops.size() > 8 ? ops.size() - 8 : 0; i < ops.size(); ++i) {
    out += fmt::format("{}{}@{:x}{}", out.empty() ? "" : ", ", ops[i].op, ops[i].term & 0xffffffffu,
                       ops[i].replay ? " replay" : "");
  }
  return out;
}

}  // namespace

std::string ConsumerChecks::Name(size_t consumer) const {
  const ConsumerSpec& spec = c_->spec(consumer);
  return fmt::format("c{} ({}{})", consumer, spec.table,
                     spec.prefix.empty() ? "" : "/" + spec.prefix);
}

void ConsumerChecks::SessionStarted(size_t consumer) {
  views_[consumer] = View();
  ++counts_.sessions;
}

// ---- what goes over the connections -----------------------------------------------------------

void ConsumerChecks::FramesToNode(ConnId conn, size_t consumer, const std::vector<Frame>& frames) {
  Link& link = links_[conn];
  link.consumer = consumer;
  for (const Frame& f : frames) {
    link.to_node_bytes += f.bytes.size();
    if (f.type != wire::MsgType::kConsumerHello) continue;
    auto hello = wire::DecodeConsumerHello(f.payload(), kLimits);
    if (!hello.ok() || hello->ack_only) continue;
    link.hello_end = link.to_node_bytes;
    link.hello_channel = hello->channel;
  }
}

void ConsumerChecks::FramesToConsumer(ConnId conn, int slot, size_t consumer,
                                      const std::vector<Frame>& frames) {
  Link& link = links_[conn];
  link.consumer = consumer;
  link.slot = slot;
  for (const Frame& f : frames) {
    if (f.type == wire::MsgType::kConsumerWelcome) {
      auto welcome = wire::DecodeConsumerWelcome(f.payload());
      if (welcome.ok() && welcome->status == wire::WelcomeStatus::kOk) {
        Welcomed(link, slot, welcome.value());
      }
    }
    if (f.type != wire::MsgType::kConsumerUpdate) continue;
    auto update = wire::DecodeConsumerUpdate(f.payload(), kLimits);
    if (!update.ok()) {
      return w_->Fail("wire_valid",
                      fmt::format("{} sent {} an update it cannot read: {}", NodeName(slot),
                                  Name(consumer), update.status().ToString()));
    }
    Update(link, slot, update.value());
    if (w_->failed()) return;
  }
}

void ConsumerChecks::FramesLost(int slot, const std::vector<Frame>& frames) {
  for (const Frame& f : frames) {
    if (f.type != wire::MsgType::kConsumerUpdate) continue;
    auto update = wire::DecodeConsumerUpdate(f.payload(), kLimits);
    if (update.ok() && update->replay) c_->tap(slot)->Replayed(update->channel);
  }
}

void ConsumerChecks::Welcomed(const Link& link, int slot, const wire::ConsumerWelcome& welcome) {
  channels_.insert(welcome.channel);
  if (link.hello_end == 0 || link.hello_channel != 0) return;  // not a new channel
  for (const auto& [other, view] : views_) {
    const consumer::ConsumerSession* session = c_->session(other);
    if (other == link.consumer || session == nullptr) continue;
    if (session->status().channel != welcome.channel) continue;
    return w_->Fail("channel_unique",
                    fmt::format("{} gave {} the new channel {:#x}, which {} holds", NodeName(slot),
                                Name(link.consumer), welcome.channel, Name(other)));
  }
}

void ConsumerChecks::Update(Link& link, int slot, const wire::ConsumerUpdate& u) {
  if (!link.updates && u.replay && link.in_sync) {
    return w_->Fail(
        "in_sync_no_replay",
        fmt::format("{} resumed in sync with {}, which sent it replay op {} (reset "
                    "{}, {} records)",
                    Name(link.consumer), NodeName(slot), u.op, Hex(u.reset), u.records.size()));
  }
  link.updates = true;
  if (u.replay) {
    if (!link.replay) {
      link.replay = Replay();
      link.replay->header = u;
      link.replay->header.records.clear();
      ReplayBuilt(link, slot, *link.replay);
      if (w_->failed()) return;
    }
    for (const wire::UpdateRecord& r : u.records) {
      link.replay->keys.emplace_back(std::string(r.key), r.section);
    }
    if (u.more) return;
    CheckBound(link, slot, *link.replay);
    link.replay.reset();
  }
  if (!u.more) link.sent.push_back(OpRef{u.op, u.term, u.mask, u.replay});
}

// ---- in_sync_no_replay ------------------------------------------------------------------------

bool ConsumerChecks::HelloArrives(ConnId conn, uint64_t delivered) const {
  auto it = links_.find(conn);
  return it != links_.end() && it->second.hello_end != 0 && delivered >= it->second.hello_end;
}

bool ConsumerChecks::InSync(size_t consumer, int slot) const {
  const consumer::ConsumerSession* session = c_->session(consumer);
  replay::Publisher* pub = c_->publisher(slot);
  if (session == nullptr || pub == nullptr || !w_->running(slot)) return false;
  const core::Node& node = w_->node(slot);
  const consumer::SessionStatus st = session->status();
  if (node.role() != Role::kActive || st.last_op == 0 || st.channel == 0) return false;
  const replay::ChannelHistory* history = pub->History(st.channel);
  if (history == nullptr || c_->tap(slot)->flagged(st.channel)) return false;
  if (history->last_op() != st.last_op || history->TermOf(st.last_op) != st.last_term) {
    return false;
  }
  const ConsumerSpec& spec = c_->spec(consumer);
  const std::map<std::string, std::string> want = Records(node, spec);
  const consumer::IndexMap& index = session->index();
  if (index.size() != want.size()) return false;
  return std::all_of(want.begin(), want.end(), [&](const auto& entry) {
    auto it = index.find(entry.first);
    return it != index.end() && it->second.first == c_->SectionOf(spec.table, entry.first) &&
           it->second.second == consumer::ValueHash(entry.second);
  });
}

void ConsumerChecks::BeforeHello(ConnId conn, int slot, size_t consumer) {
  Link& link = links_[conn];
  link.in_sync = InSync(consumer, slot);
  const replay::PublisherCounters& counters = c_->publisher(slot)->counters();
  link.resumes = counters.resumes;
  link.resumes_in_sync = counters.resumes_in_sync;
}

void ConsumerChecks::AfterHello(ConnId conn, int slot) {
  Link& link = links_[conn];
  link.hello_end = 0;
  replay::Publisher* pub = c_->publisher(slot);
  if (pub == nullptr || pub->counters().resumes == link.resumes) return;  // not welcomed
  ++counts_.resumes;
  if (!link.in_sync) return;
  ++counts_.in_sync;
  const int before = views_[link.consumer].slot;
  if (before >= 0 && before != slot) ++counts_.in_sync_moved;
  // As it said hello: a session applies nothing between its hello and the welcome.
  const consumer::SessionStatus st = c_->session(link.consumer)->status();
  w_->trace()(w_->now(), "check", "{} resumes in sync with {} (op {} term {})", Name(link.consumer),
              NodeName(slot), st.last_op, st.last_term);
  if (pub->counters().resumes_in_sync == link.resumes_in_sync) {
    w_->Fail("in_sync_no_replay",
             fmt::format("{} resumed in sync with {} (its last op {} of term {} ends the node's "
                         "history, its copy equals the node's records) but the node planned a "
                         "replay",
                         Name(link.consumer), NodeName(slot), st.last_op, st.last_term));
  }
}

// ---- replay_bounded ---------------------------------------------------------------------------

// Ops are made on the active, in its turns (a standby's come from the active's and name the
// same keys). Entries are appended at the back and merged at the front, so the ops appended
// since the last look are the newest entries down to the first one seen before (op ids are no
// clock: two actives of a split-brain number theirs alike, so an op is known by its term too);
// they still hold their keys (at most three entries are appended in one call, and
// max_pending_ops is at least 4 in every seed).
void ConsumerChecks::CallDone(int slot) {
  replay::Publisher* pub = c_->publisher(slot);
  if (pub->counters().ops == ops_seen_[slot]) return;
  ops_seen_[slot] = pub->counters().ops;
  for (uint64_t channel : channels_) {
    const replay::ChannelHistory* history = pub->History(channel);
    if (history == nullptr) continue;
    OpKeys& seen = op_keys_[channel];
    const std::deque<replay::PendingEntry>& pending = history->pending();
    for (auto it = pending.rbegin(); it != pending.rend() && it->first_op == it->last_op; ++it) {
      if (!seen.emplace(std::make_pair(it->last_op, it->term), it->keys).second) break;
    }
  }
}

void ConsumerChecks::ReplayBuilt(Link& link, int slot, Replay& replay) {
  replay::Publisher* pub = c_->publisher(slot);
  const wire::ConsumerUpdate& h = replay.header;
  const replay::ChannelHistory* history = pub->History(h.channel);
  if (history == nullptr) {
    return w_->Fail("replay_bounded",
                    fmt::format("{} sent {} replay op {} of channel {:#x}, "
                                "which it does not hold",
                                NodeName(slot), Name(link.consumer), h.op, h.channel));
  }
  const ConsumerSpec& spec = c_->spec(link.consumer);
  BoundInput in;
  in.history = history;
  in.replay_op = h.op;
  in.replay_term = h.term;
  in.table = spec.table;
  in.prefix = spec.prefix;
  in.applied = views_[link.consumer].applied;
  in.on_way.assign(link.sent.begin(), link.sent.end());
  in.ring_size = spec.ring_size;
  auto keys = op_keys_.find(h.channel);
  in.keys = keys != op_keys_.end() ? &keys->second : nullptr;
  in.flagged = c_->tap(slot)->flagged(h.channel);
  in.policy = pub->config().policy;
  replay.bound = BoundReplay(in);
  c_->tap(slot)->Replayed(h.channel);
  const std::map<std::string, std::string> records = Records(w_->node(slot), spec);
  for (const auto& entry : records) ++replay.held[c_->SectionOf(spec.table, entry.first)];
  replay.held_total = records.size();
}

std::set<std::string> ConsumerChecks::LateKeys(const wire::ConsumerUpdate& h,
                                               const std::string& table) const {
  std::set<std::string> late;
  auto seen = op_keys_.find(h.channel);
  if (seen == op_keys_.end()) return late;
  for (auto it = seen->second.upper_bound({h.op, UINT64_MAX}); it != seen->second.end(); ++it) {
    if (it->first.second != h.term || it->second == nullptr) continue;
    for (const wire::TableKeys& t : *it->second) {
      if (t.table == table) late.insert(t.keys.begin(), t.keys.end());
    }
  }
  return late;
}

void ConsumerChecks::CheckBound(const Link& link, int slot, const Replay& replay) {
  const wire::ConsumerUpdate& h = replay.header;
  const ReplayBound& bound = replay.bound;
  const std::array<uint64_t, replay::kSectionCount>& held = replay.held;
  const ConsumerSpec& spec = c_->spec(link.consumer);
  const replay::ReplayKind kind = h.reset == replay::kAllSections ? replay::ReplayKind::kFull
                                  : h.reset != 0                  ? replay::ReplayKind::kSections
                                                                  : replay::ReplayKind::kKeys;
  if (views_[link.consumer].applied.empty()) {
    ++counts_.initial;
  } else {
    ++counts_.replays[static_cast<size_t>(kind)];
    if (kind == replay::ReplayKind::kFull) ++counts_.full_why[static_cast<size_t>(bound.full)];
    counts_.replayed_records += replay.keys.size();
    counts_.full_resend_records += replay.held_total;
  }
  w_->trace()(w_->now(), "check",
              "{} replays op {} to {}: reset {} mask {}, {} records of {} (allowed {}, {} keys, "
              "{} missing ops{})",
              NodeName(slot), h.op, Name(link.consumer), Hex(h.reset), Hex(h.mask),
              replay.keys.size(), replay.held_total, Hex(bound.sections), bound.keys.size(),
              bound.missing_ops,
              bound.full == FullWhy::kNo ? "" : "; full allowed: " + bound.full_reason);
  auto fail = [&](std::string what) {
    w_->Fail(
        "replay_bounded",
        fmt::format("{}'s replay op {} to {} {} (it misses sections {}, {} ops; no full "
                    "replay allowed; the node's history: {}; the consumer's last ops: {})",
                    NodeName(slot), h.op, Name(link.consumer), what, Hex(bound.sections),
                    bound.missing_ops, Show(*c_->publisher(slot)->History(h.channel), spec.table),
                    Show(views_[link.consumer].applied)));
  };
  const bool free = bound.full != FullWhy::kNo;
  if (!free && (h.reset & ~bound.sections) != 0) {
    return fail(fmt::format("resets sections {}", Hex(h.reset & ~bound.sections)));
  }
  if (!free && (h.mask & ~bound.sections) != 0) {
    return fail(fmt::format("names sections {} in its mask", Hex(h.mask & ~bound.sections)));
  }
  // A replay that walks its table over turns ends with the current values of the keys that
  // ops made meanwhile changed (again, if the walk had met them): they are bound by those ops.
  const std::set<std::string> late = LateKeys(h, spec.table);
  std::array<uint64_t, replay::kSectionCount> sent{};
  std::vector<std::string> keys;
  for (const auto& [key, section] : replay.keys) {
    if (late.contains(key)) continue;
    keys.push_back(key);
    if ((h.reset & replay::SectionBit(section)) != 0) {
      ++sent[section % replay::kSectionCount];
    } else if (!free && !bound.keys.contains(key)) {
      return fail(
          fmt::format("resends key {} (section {}), which no missing op names", key, section));
    }
  }
  std::sort(keys.begin(), keys.end());
  if (auto dup = std::adjacent_find(keys.begin(), keys.end()); dup != keys.end()) {
    return fail(fmt::format("carries key {} twice", *dup));
  }
  for (unsigned s = 0; s < replay::kSectionCount; ++s) {
    if (sent[s] > held[s]) {
      return fail(fmt::format("carries {} records of section {}, where the node holds {}", sent[s],
                              s, held[s]));
    }
  }
}

// ---- consumer_ops_ordered ---------------------------------------------------------------------

void ConsumerChecks::Applied(size_t consumer, ConnId conn, const consumer::AppliedOp& op) {
  View& view = views_[consumer];
  ++counts_.ops_applied;
  w_->trace()(w_->now(), "c" + std::to_string(consumer), "applies op {} term {}{}: {} changes",
              op.op, op.term, op.replay ? " (replay)" : "", op.changes.size());
  auto fail = [&](std::string what) {
    w_->Fail("consumer_ops_ordered",
             fmt::format("{} on connection #{}: {}", Name(consumer), conn, what));
  };
  if (!view.applied.empty() && op.op <= view.applied.back().op) {
    return fail(fmt::format("op {} applied after op {}", op.op, view.applied.back().op));
  }
  auto it = links_.find(conn);
  if (it == links_.end() || it->second.sent.empty()) {
    return fail(fmt::format("op {} applied, but no op sent on it waits", op.op));
  }
  const OpRef next = it->second.sent.front();
  if (next.op < op.op) {
    return fail(fmt::format("op {} (term {}) was sent before op {}, and never applied", next.op,
                            next.term, op.op));
  }
  if (next.op != op.op || next.term != op.term || next.replay != op.replay) {
    return fail(fmt::format("op {} term {} applied where op {} term {} was sent", op.op, op.term,
                            next.op, next.term));
  }
  it->second.sent.pop_front();
  view.applied.push_back(next);
  view.slot = it->second.slot;
  for (const consumer::Change& change : op.changes) {
    if (change.deleted) {
      view.copy.erase(change.key);
    } else {
      view.copy[change.key] = change.value;
    }
  }
}

// ---- consumer_converges -----------------------------------------------------------------------

void ConsumerChecks::CheckConverged(int active) {
  const core::Node& node = w_->node(active);
  for (const auto& entry : views_) {
    // Named copies: clang 14 lets no lambda capture a structured binding.
    const size_t consumer = entry.first;
    const auto& view = entry.second;
    const consumer::ConsumerSession* session = c_->session(consumer);
    if (session == nullptr) continue;
    const consumer::SessionStatus st = session->status();
    const ConsumerSpec& spec = c_->spec(consumer);
    auto fail = [&](std::string what) {
      w_->Fail("consumer_converges",
               fmt::format("at the end of the quiet window, {} (channel {:#x}, last op {} term "
                           "{}, {} records) {}",
                           Name(consumer), st.channel, st.last_op, st.last_term, st.records, what));
    };
    if (st.active_endpoint != active) {
      return fail(fmt::format("is not subscribed to the active {} (endpoint {})", NodeName(active),
                              st.active_endpoint));
    }
    const std::map<std::string, std::string> want = Records(node, spec);
    std::string diff =
        Diff(want, view.copy,
             [](const std::string&, const std::string& a, const std::string& b) { return a == b; });
    if (!diff.empty())
      return fail(fmt::format("holds a copy that differs from {}'s: {}", NodeName(active), diff));
    diff = Diff(want, session->index(),
                [&](const std::string& key, const std::string& value,
                    const std::pair<uint8_t, uint64_t>& held) {
                  return held.first == c_->SectionOf(spec.table, key) &&
                         held.second == consumer::ValueHash(value);
                });
    if (!diff.empty())
      return fail(fmt::format("has a key index that differs from {}'s records: {}",
                              NodeName(active), diff));
  }
}

}  // namespace hasync::sim
