// The consumers' driver: the publishers of the node lives, the consumer sessions, and what
// the connections between them report.
#include "sim/consumers.h"

#include <random>
#include <utility>

#include "fmt/format.h"
#include "sim/world.h"

namespace hasync::sim {

Consumers::Consumers(World* world)
    : w_(world),
      links_(world->setup().consumers, &world->consumer_rng(), &world->queue(), this,
             &world->trace()),
      checks_(world, this),
      tamper_(world->brk(), [this](size_t c, int slot) { return checks_.InSync(c, slot); }),
      sessions_(world->setup().consumers.consumers.size()),
      session_timers_(sessions_.size()) {}

Consumers::~Consumers() = default;

bool Consumers::on() const { return w_->setup().consumers.on; }

const ConsumerSpec& Consumers::spec(size_t c) const { return w_->setup().consumers.consumers[c]; }

uint8_t Consumers::SectionOf(const std::string& table, std::string_view key) const {
  if (w_->setup().consumers.custom_sections && table == "t1") return SimSection(key);
  return replay::DefaultSection(key);
}

// ---- the publishers ---------------------------------------------------------------------------

// What the daemon draws from the system's random source, made here from the seed and the node
// life (not drawn from an Rng, so that the draws of every other choice stay as they were).
uint64_t Consumers::ChannelIdSeed(int slot) const {
  uint64_t seed = w_->seed();
  uint64_t life = w_->incarnation(slot);
  std::seed_seq mix{seed >> 32, seed & 0xffffffff, uint64_t(slot), life >> 32, life & 0xffffffff};
  std::mt19937_64 gen(mix);
  return gen();
}

void Consumers::NodeStarting(int slot, core::Node& node) {
  if (!on()) return;
  const ConsumerSetup& setup = w_->setup().consumers;
  auto pub = std::make_unique<replay::Publisher>(setup.publisher, static_cast<NodeId>(slot + 1),
                                                 ChannelIdSeed(slot));
  if (setup.custom_sections) pub->SetSectionFunction("t1", SimSection);
  pub->Attach(node);
  taps_[slot] = std::make_unique<PublisherTap>(pub.get());
  node.SetStreamExtension(taps_[slot].get());  // in front of the publisher
  publishers_[slot] = std::move(pub);
  publisher_timers_[slot] = Timer{core::kNever, publisher_timers_[slot].gen + 1};
  checks_.NodeStarted(slot);
}

void Consumers::NodeLost(int slot, bool flush) {
  if (!on()) return;
  links_.NodeStopped(slot, flush);
  publishers_[slot].reset();
  taps_[slot].reset();
  ++publisher_timers_[slot].gen;
}

void Consumers::Drain(int slot) {
  replay::Publisher* pub = publishers_[slot].get();
  if (pub == nullptr) return;
  replay::PublisherEffects& fx = pub->effects();
  // The timer stays: the publisher updates it at each of its inputs, not at every hook.
  std::vector<replay::PublisherEffects::Send> sends = std::exchange(fx.sends, {});
  std::vector<replay::ConnId> close = std::exchange(fx.close, {});
  std::vector<core::LogLine> logs = std::exchange(fx.logs, {});
  for (const core::LogLine& line : logs)
    w_->trace()(w_->now(), NodeName(slot), "consumers log: {}", line.text);
  for (const replay::PublisherEffects::Send& send : sends)
    links_.SendToConsumer(send.conn, send.bytes);
  for (replay::ConnId id : close) links_.NodeClose(id);
  ArmPublisherTimer(slot, fx.timer);
}

void Consumers::ArmPublisherTimer(int slot, core::TimePoint at) {
  Timer& t = publisher_timers_[slot];
  if (t.at == at) return;
  t.at = at;
  const uint64_t gen = ++t.gen;
  if (at == core::kNever) return;
  w_->At(at, [this, slot, gen] {
    if (publishers_[slot] == nullptr || publisher_timers_[slot].gen != gen) return;
    publisher_timers_[slot].at = core::kNever;
    w_->Call(slot, [&](core::Node&) { publishers_[slot]->OnTimer(w_->now()); });
  });
}

// ---- the sessions -----------------------------------------------------------------------------

void Consumers::StartSession(size_t c, uint64_t channel) {
  const ConsumerSetup& setup = w_->setup().consumers;
  const ConsumerSpec& s = spec(c);
  consumer::SessionConfig config;
  config.endpoints = 2;
  config.table = s.table;
  config.prefix = s.prefix;
  config.name = fmt::format("c{}", c);
  config.channel = channel;
  config.reconnect_delay = setup.reconnect_delay;
  config.refused_delay = setup.refused_delay;
  config.ping_interval = setup.ping_interval;
  config.dead_after = setup.dead_after;
  config.ring_size = s.ring_size;
  sessions_[c] = std::make_unique<consumer::ConsumerSession>(std::move(config));
  session_timers_[c] = Timer{core::kNever, session_timers_[c].gen + 1};
  checks_.SessionStarted(c);
  w_->trace()(w_->now(), fmt::format("c{}", c), "starts: {}{}, channel {:#x}", s.table,
              s.prefix.empty() ? "" : " prefix " + s.prefix, channel);
  sessions_[c]->Start(w_->now());
  DrainSession(c);
}

void Consumers::DrainSession(size_t c) {
  consumer::ConsumerSession* session = sessions_[c].get();
  if (session == nullptr) return;
  consumer::SessionEffects fx = std::exchange(session->effects(), {});
  const std::string who = fmt::format("c{}", c);
  for (const core::LogLine& line : fx.logs) w_->trace()(w_->now(), who, "log: {}", line.text);
  for (const consumer::AppliedOp& op : fx.applied) {
    checks_.Applied(c, delivering_, op);
    if (w_->failed()) return;
  }
  for (consumer::SessionEffects::Send& send : fx.sends) {
    links_.SendToNode(c, send.endpoint, send.bytes);
  }
  for (size_t endpoint : fx.close) {
    checks_.LinkClosed(links_.conn(c, endpoint));
    links_.ConsumerClose(c, endpoint);
  }
  for (size_t endpoint : fx.connect) links_.Dial(c, endpoint);
  Timer& t = session_timers_[c];
  if (t.at == fx.timer) return;
  t.at = fx.timer;
  const uint64_t gen = ++t.gen;
  if (fx.timer == core::kNever) return;
  w_->At(fx.timer, [this, c, gen] {
    if (sessions_[c] == nullptr || session_timers_[c].gen != gen) return;
    session_timers_[c].at = core::kNever;
    sessions_[c]->OnTimer(w_->now());
    DrainSession(c);
  });
}

// ---- what the connections report --------------------------------------------------------------

bool Consumers::NodeRunning(int slot) const { return w_->running(slot); }

uint64_t Consumers::NodeLife(int slot) const { return w_->incarnation(slot); }

bool Consumers::Partitioned() const { return w_->network().partitioned(); }

void Consumers::NodeAccepted(int slot, ConnId conn) {
  w_->trace()(w_->now(), NodeName(slot), "consumer connection #{} accepted", conn);
  w_->Call(slot, [&](core::Node&) { publishers_[slot]->OnConnected(w_->now(), conn); });
}

void Consumers::NodeBytes(int slot, ConnId conn, std::span<const uint8_t> bytes) {
  w_->trace()(w_->now(), NodeName(slot), "< {} bytes on consumer connection #{}", bytes.size(),
              conn);
  size_t consumer = 0;
  int owner = 0;
  const bool hello = checks_.HelloArrives(conn, links_.to_node_delivered(conn)) &&
                     links_.Owner(conn, &consumer, &owner);
  if (hello) checks_.BeforeHello(conn, slot, consumer);
  w_->Call(slot, [&](core::Node&) { publishers_[slot]->OnBytes(w_->now(), conn, bytes); });
  if (hello && w_->running(slot)) checks_.AfterHello(conn, slot);
}

void Consumers::NodeClosed(int slot, ConnId conn) {
  w_->trace()(w_->now(), NodeName(slot), "consumer connection #{} closed by the consumer", conn);
  w_->Call(slot, [&](core::Node&) { publishers_[slot]->OnClosed(w_->now(), conn); });
}

void Consumers::NodeWritten(int slot, ConnId conn, size_t queued) {
  w_->Call(slot, [&](core::Node&) { publishers_[slot]->OnWritten(w_->now(), conn, queued); });
}

void Consumers::ConsumerConnected(size_t consumer, size_t endpoint) {
  if (sessions_[consumer] == nullptr) return;
  sessions_[consumer]->OnConnected(w_->now(), endpoint);
  DrainSession(consumer);
}

void Consumers::ConsumerBytes(size_t consumer, size_t endpoint, ConnId conn,
                              std::span<const uint8_t> bytes) {
  if (sessions_[consumer] == nullptr) return;
  delivering_ = conn;
  sessions_[consumer]->OnBytes(w_->now(), endpoint, bytes);
  DrainSession(consumer);
  delivering_ = 0;
}

void Consumers::ConsumerClosed(size_t consumer, size_t endpoint, ConnId conn,
                               std::string_view reason) {
  checks_.LinkClosed(conn);
  if (sessions_[consumer] == nullptr) return;
  w_->trace()(w_->now(), fmt::format("c{}", consumer), "connection #{} to {} closed: {}", conn,
              NodeName(static_cast<int>(endpoint)), reason);
  sessions_[consumer]->OnClosed(w_->now(), endpoint, reason);
  DrainSession(consumer);
}

void Consumers::FramesToConsumer(ConnId conn, std::vector<Frame>& frames) {
  size_t consumer = 0;
  int slot = 0;
  if (!links_.Owner(conn, &consumer, &slot)) return;
  if (w_->trace().on()) {
    for (const Frame& f : frames) {
      w_->trace()(w_->now(), NodeName(slot), "> c{} #{}: {}", consumer, conn, DescribeFrame(f));
    }
  }
  if (links_.consumer_holds(conn)) {
    checks_.FramesToConsumer(conn, slot, consumer, frames);
  } else {
    checks_.FramesLost(slot, frames);
  }
  for (const Frame& f : frames) {
    if (f.type == wire::MsgType::kConsumerUpdate) Chase(consumer, slot);
  }
  std::string note = tamper_.ToConsumer(conn, w_->now(), frames);
  if (!note.empty()) w_->trace()(w_->now(), "break", "{}", note);
}

void Consumers::FramesToNode(ConnId conn, std::vector<Frame>& frames) {
  size_t consumer = 0;
  int slot = 0;
  if (!links_.Owner(conn, &consumer, &slot)) return;
  std::string note = tamper_.ToNode(consumer, slot, w_->now(), frames);
  if (!note.empty()) w_->trace()(w_->now(), "break", "{}", note);
  if (w_->trace().on()) {
    for (const Frame& f : frames) {
      w_->trace()(w_->now(), fmt::format("c{}", consumer), "> {} #{}: {}", NodeName(slot), conn,
                  DescribeFrame(f));
    }
  }
  checks_.FramesToNode(conn, consumer, frames);
}

void Consumers::BadStream(ConnId conn, bool to_node, std::string_view error) {
  w_->Fail("wire_valid", fmt::format("a malformed stream {} on consumer connection #{}: {}",
                                     to_node ? "to a node" : "to a consumer", conn, error));
}

}  // namespace hasync::sim
