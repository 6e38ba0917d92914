#include "replay_pair.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace hasync::replay::testing {

PublisherConfig TestPublisherConfig() {
  PublisherConfig c;
  c.window_bytes = 4096;
  c.fragment_bytes = 1024;
  c.max_concurrent_replays = 2;
  c.consumer_timeout = 10s;
  return c;
}

std::map<std::string, std::string> Records(const core::Node& n, std::string_view table,
                                           std::string_view prefix) {
  std::map<std::string, std::string> out;
  const store::Table* t = n.store().Find(table);
  if (t == nullptr) return out;
  t->ForEach([&](const store::RecordView& r) {
    if (r.key.starts_with(prefix)) out.emplace(r.key, r.value);
  });
  return out;
}

// --- FakeConsumer ---

std::map<std::string, std::string> FakeConsumer::Values() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, held] : data) out.emplace(key, held.second);
  return out;
}

FakeConsumer::FakeConsumer(std::string t, std::string p)
    : table(std::move(t)), prefix(std::move(p)) {}

void FakeConsumer::NewConnection() {
  reader_ = wire::FrameReader();
  seq_ = 1;
  open_update_ = false;
  records_.clear();
}

std::vector<uint8_t> FakeConsumer::Hello(bool ack_only) {
  wire::ConsumerHello h;
  h.ack_only = ack_only;
  h.channel = channel;
  h.last_op = last_op;
  h.last_term = last_term;
  h.table = table;
  h.prefix = prefix;
  h.name = "fake";
  h.ring.assign(ring.begin(), ring.end());
  return Frame(h);
}

std::vector<uint8_t> FakeConsumer::Ack() { return Ack(channel, last_op, last_term); }

std::vector<uint8_t> FakeConsumer::Ack(uint64_t ch, uint64_t op, uint64_t term) {
  return Frame(wire::ConsumerAck{ch, op, term});
}

std::vector<uint8_t> FakeConsumer::Ping() { return Frame(wire::ConsumerPing{}); }

void FakeConsumer::Receive(std::span<const uint8_t> bytes) {
  reader_.Feed(bytes);
  while (true) {
    Result<wire::FrameView> f = reader_.Next();
    if (!f.ok()) {
      if (f.status().code() != Code::kNotFound && error.empty()) error = f.status().message();
      return;
    }
    if (f->type == wire::MsgType::kConsumerWelcome) {
      Result<wire::ConsumerWelcome> w = wire::DecodeConsumerWelcome(f->payload);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      welcomes.push_back(*w);
      if (w->status == wire::WelcomeStatus::kOk) channel = w->channel;
    } else if (f->type == wire::MsgType::kConsumerUpdate) {
      Result<wire::ConsumerUpdate> u = wire::DecodeConsumerUpdate(f->payload, {});
      ASSERT_TRUE(u.ok()) << u.status().ToString();
      OnUpdate(*u);
    } else if (f->type == wire::MsgType::kConsumerPing) {
      ++pings;
    } else if (error.empty()) {
      error = "unexpected frame type " + std::to_string(static_cast<int>(f->type));
    }
  }
}

void FakeConsumer::OnUpdate(const wire::ConsumerUpdate& u) {
  if (!open_update_) {
    if (u.op <= last_op && error.empty()) error = "op " + std::to_string(u.op) + " not above";
    pending_ = Applied{u.op, u.term, u.mask, u.replay, u.reset, 0, {}};
    open_update_ = true;
  } else if (u.op != pending_.op && error.empty()) {
    error = "fragment of another op";
  }
  ++pending_.frames;
  for (const wire::UpdateRecord& r : u.records) {
    records_.push_back(Record{r.kind, r.section, std::string(r.key), std::string(r.value)});
    pending_.keys.emplace_back(r.key);
  }
  if (!u.more) Apply();
}

void FakeConsumer::Apply() {
  if (pending_.replay) {
    std::set<std::string> carried;
    for (const Record& r : records_) carried.insert(r.key);
    std::erase_if(data, [&](const auto& kv) {
      return (pending_.reset & (uint64_t{1} << kv.second.first)) != 0 &&
             !carried.contains(kv.first);
    });
  }
  for (Record& r : records_) {
    if (r.kind == wire::UpdateKind::kPut) {
      data[r.key] = {r.section, std::move(r.value)};
    } else {
      data.erase(r.key);
    }
  }
  last_op = pending_.op;
  last_term = pending_.term;
  ring.push_back(wire::ResumeEntry{pending_.op, pending_.term, pending_.mask});
  if (ring.size() > wire::kMaxResumeRingEntries) ring.pop_front();
  applied.push_back(std::move(pending_));
  records_.clear();
  open_update_ = false;
}

// --- ReplayPair ---

ReplayPair::ReplayPair(PublisherConfig config, core::CoreConfig a, core::CoreConfig b)
    : config_(std::move(config)), pair_(std::move(a), std::move(b)) {
  pair_.OnNodeCreated([this](int i, core::Node& n) {
    // A seed for every node life, far from the others, as the daemon draws one.
    uint64_t seed = ++lives_ * 0x9E3779B97F4A7C15ULL;
    publishers_[i] = std::make_unique<Publisher>(config_, n.config().node_id, seed);
    for (const auto& [table, fn] : section_functions_)
      publishers_[i]->SetSectionFunction(table, fn);
    publishers_[i]->Attach(n);
  });
}

void ReplayPair::SetSectionFunction(std::string table, SectionFunction fn) {
  section_functions_.insert_or_assign(std::move(table), std::move(fn));
}

void ReplayPair::StartConnected() {
  pair_.StartConnected(200ms);
  Pump();
  EXPECT_EQ(node(0).role(), Role::kActive);
  EXPECT_EQ(node(1).role(), Role::kStandby);
  EXPECT_TRUE(node(0).peer().in_sync);
}

void ReplayPair::StartAlone() {
  Start(0);
  Run(300ms);
  EXPECT_EQ(node(0).role(), Role::kActive);
}

void ReplayPair::Start(int i) {
  pair_.Start(i);
  Pump();
}

void ReplayPair::Crash(int i) {
  for (auto& [id, link] : conns_) {
    if (link.node == i) link.open = false;
  }
  pair_.Crash(i);
  publishers_[i].reset();
  Pump();
}

ConnId ReplayPair::Connect(int i, FakeConsumer& c, bool hello, bool ack_only) {
  const ConnId id = next_conn_++;
  Link& link = conns_[id];
  link.node = i;
  link.consumer = &c;
  link.last_ping = now();
  c.NewConnection();
  publisher(i).OnConnected(now(), id);
  Pump();
  if (hello) Send(id, c.Hello(ack_only));
  return id;
}

void ReplayPair::Send(ConnId conn, std::span<const uint8_t> bytes) {
  Link& link = conns_.at(conn);
  if (!link.open) return;
  link.hello_sent = true;
  publisher(link.node).OnBytes(now(), conn, bytes);
  Pump();
}

void ReplayPair::Ack(ConnId conn) { Send(conn, conns_.at(conn).consumer->Ack()); }

void ReplayPair::Close(ConnId conn) {
  Link& link = conns_.at(conn);
  if (!link.open) return;
  link.open = false;
  publisher(link.node).OnClosed(now(), conn);
  Pump();
}

void ReplayPair::Stall(ConnId conn, bool on) {
  Link& link = conns_.at(conn);
  link.stalled = on;
  if (on || !link.open) return;
  Deliver(conn, link);
  Pump();
}

void ReplayPair::Put(int i, std::string_view table, std::string_view key, std::string_view value) {
  core::WriteOutcome w = node(i).Put(now(), table, key, value, Durability::kAsync, 0);
  EXPECT_TRUE(w.status.ok()) << w.status.ToString();
  Pump();
}

void ReplayPair::Erase(int i, std::string_view table, std::string_view key) {
  core::WriteOutcome w = node(i).Erase(now(), table, key, Durability::kAsync, 0);
  EXPECT_TRUE(w.status.ok()) << w.status.ToString();
  Pump();
}

void ReplayPair::Pump() {
  for (int round = 0; round < 1000; ++round) {
    pair_.Settle();
    bool moved = false;
    for (int i = 0; i < 2; ++i) moved = Route(i) || moved;
    if (!moved) return;
  }
  ADD_FAILURE() << "the publishers did not settle";
}

bool ReplayPair::Route(int i) {
  if (!publishers_[i]) return false;
  PublisherEffects& fx = publishers_[i]->effects();
  fx.logs.clear();
  if (fx.sends.empty() && fx.close.empty()) return false;
  std::vector<PublisherEffects::Send> sends = std::move(fx.sends);
  std::vector<ConnId> closes = std::move(fx.close);
  fx.sends.clear();
  fx.close.clear();
  std::set<ConnId> written;
  for (PublisherEffects::Send& s : sends) {
    auto it = conns_.find(s.conn);
    if (it == conns_.end() || !it->second.open) continue;
    it->second.held.insert(it->second.held.end(), s.bytes.begin(), s.bytes.end());
    if (!it->second.stalled) written.insert(s.conn);
  }
  for (ConnId id : closes) {
    auto it = conns_.find(id);
    if (it == conns_.end() || !it->second.open) continue;
    if (!it->second.stalled) it->second.consumer->Receive(it->second.held);
    it->second.held.clear();
    it->second.open = false;
    written.erase(id);
  }
  for (ConnId id : written) Deliver(id, conns_.at(id));
  return true;
}

void ReplayPair::Deliver(ConnId id, Link& link) {
  std::vector<uint8_t> bytes = std::move(link.held);
  link.held.clear();
  link.consumer->Receive(bytes);
  if (publishers_[link.node]) publishers_[link.node]->OnWritten(now(), id, 0);
}

void ReplayPair::Run(Duration span) {
  const core::TimePoint end = now() + span;
  while (now() < end) {
    pair_.Run(std::min<Duration>(10ms, end - now()));
    for (auto& p : publishers_) {
      if (p && p->effects().timer <= now()) p->OnTimer(now());
    }
    for (auto& [id, link] : conns_) {
      if (!link.open || !link.hello_sent || !link.consumer->auto_ping ||
          now() - link.last_ping < 500ms) {
        continue;
      }
      link.last_ping = now();
      Send(id, link.consumer->Ping());
    }
    Pump();
  }
}

}  // namespace hasync::replay::testing
