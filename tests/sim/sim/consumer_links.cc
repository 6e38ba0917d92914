#include "sim/consumer_links.h"

#include <algorithm>
#include <utility>

namespace hasync::sim {

using namespace std::chrono_literals;

namespace {

// A consumer reads at most this much at once (its read buffer).
constexpr size_t kReadBytes = 64 << 10;

}  // namespace

ConsumerLinks::ConsumerLinks(const ConsumerSetup& setup, Rng* rng, EventQueue* queue,
                             ConsumerLinkEvents* events, Trace* trace)
    : setup_(setup),
      rng_(rng),
      queue_(queue),
      events_(events),
      trace_(trace),
      by_consumer_(setup.consumers.size(), std::array<ConnId, 2>{}),
      spikes_(setup.consumers.size(), {TimePoint{0}, Duration{0}}) {}

ConsumerLinks::Link* ConsumerLinks::Find(ConnId conn) {
  auto it = links_.find(conn);
  return it != links_.end() ? &it->second : nullptr;
}

Duration ConsumerLinks::Latency(size_t consumer) {
  Duration d = setup_.net.latency + rng_->Between(Duration{0}, setup_.net.jitter);
  if (queue_->now() < spikes_[consumer].first) d += spikes_[consumer].second;
  return d;
}

bool ConsumerLinks::Blocked(const Link& link) const {
  const int side = setup_.consumers[link.consumer].side;
  return side >= 0 && side != link.slot && events_->Partitioned();
}

ConnId ConsumerLinks::conn(size_t consumer, size_t endpoint) const {
  return by_consumer_[consumer][endpoint];
}

bool ConsumerLinks::Owner(ConnId conn, size_t* consumer, int* slot) const {
  auto it = links_.find(conn);
  if (it == links_.end()) return false;
  *consumer = it->second.consumer;
  *slot = it->second.slot;
  return true;
}

bool ConsumerLinks::consumer_holds(ConnId conn) const {
  auto it = links_.find(conn);
  return it != links_.end() && it->second.consumer_open && !it->second.reset;
}

uint64_t ConsumerLinks::to_node_delivered(ConnId conn) const {
  auto it = links_.find(conn);
  return it != links_.end() ? it->second.to_node.delivered : 0;
}

bool ConsumerLinks::idle() const {
  return std::all_of(links_.begin(), links_.end(), [](const auto& entry) {
    return entry.second.to_node.chunks.empty() && entry.second.to_consumer.chunks.empty();
  });
}

// ---- the consumers' side ---------------------------------------------------------------------

void ConsumerLinks::Dial(size_t consumer, size_t endpoint) {
  const ConnId id = next_conn_++;
  Link link;
  link.consumer = consumer;
  link.slot = static_cast<int>(endpoint);
  links_.emplace(id, std::move(link));
  by_consumer_[consumer][endpoint] = id;
  const Duration delay = setup_.net.connect + rng_->Between(Duration{0}, setup_.net.jitter);
  queue_->At(queue_->now() + delay, [this, id] { Establish(id); });
}

void ConsumerLinks::Establish(ConnId conn) {
  Link* link = Find(conn);
  if (link == nullptr || !link->consumer_open) return;
  if (Blocked(*link)) {
    (*trace_)(queue_->now(), "net", "c{} dials {}: lost across the partition", link->consumer,
              NodeName(link->slot));
    return;  // the consumer's silence deadline gives up on it
  }
  const size_t consumer = link->consumer;
  const int slot = link->slot;
  if (!events_->NodeRunning(slot)) return RefuseLater(conn, *link, "connection refused");
  link->accepted = true;
  link->node_open = true;
  link->life = events_->NodeLife(slot);
  events_->NodeAccepted(slot, conn);
  link = Find(conn);
  if (link != nullptr && link->consumer_open) {
    events_->ConsumerConnected(consumer, static_cast<size_t>(slot));
  }
}

void ConsumerLinks::SendToNode(size_t consumer, size_t endpoint, std::span<const uint8_t> bytes) {
  const ConnId id = by_consumer_[consumer][endpoint];
  Link* link = Find(id);
  if (link == nullptr || !link->accepted) return;
  std::vector<uint8_t> out = Scan(id, *link, true, bytes);
  link = Find(id);
  if (link == nullptr || out.empty() || !link->consumer_open || link->reset) return;
  if (link->silent) {
    // The node lost power with the connection open; a new life answers with a reset.
    if (events_->NodeRunning(link->slot) && events_->NodeLife(link->slot) != link->life) {
      link->silent = false;
      RefuseLater(id, *link, "connection reset by peer");
    }
    return;
  }
  if (!link->node_open) return;  // the node closed it: its FIN is on the way
  Enqueue(id, *link, true, std::move(out));
}

void ConsumerLinks::ConsumerClose(size_t consumer, size_t endpoint) {
  const ConnId id = std::exchange(by_consumer_[consumer][endpoint], 0);
  Link* link = Find(id);
  if (link == nullptr || !link->consumer_open) return;
  link->consumer_open = false;
  link->to_consumer.chunks.clear();
  ++link->to_consumer.token;
  link->to_consumer.pump_pending = false;
  if (link->node_open && !link->silent && !link->reset) Fin(id, *link, true);
  ForgetIfDone(id);
}

void ConsumerLinks::ConsumerCrashed(size_t consumer) {
  for (ConnId& slot_conn : by_consumer_[consumer]) {
    const ConnId id = std::exchange(slot_conn, 0);
    Link* link = Find(id);
    if (link == nullptr) continue;
    link->consumer_open = false;
    for (Pipe* p : {&link->to_node, &link->to_consumer}) {
      p->chunks.clear();
      p->pump_pending = false;
      ++p->token;
    }
    if (!link->node_open || link->silent || link->reset) {
      ForgetIfDone(id);
      continue;
    }
    // Its kernel resets the connection; the node hears of it one trip later.
    queue_->At(queue_->now() + Latency(consumer), [this, id] {
      Link* l = Find(id);
      if (l == nullptr || !l->node_open) return;
      l->node_open = false;
      if (events_->NodeRunning(l->slot) && events_->NodeLife(l->slot) == l->life) {
        events_->NodeClosed(l->slot, id);
      }
      ForgetIfDone(id);
    });
  }
}

// ---- the nodes' side -------------------------------------------------------------------------

void ConsumerLinks::SendToConsumer(ConnId conn, std::span<const uint8_t> bytes) {
  Link* link = Find(conn);
  if (link == nullptr) return;
  std::vector<uint8_t> out = Scan(conn, *link, false, bytes);
  link = Find(conn);
  if (link == nullptr || !link->node_open || !link->consumer_open || link->reset || out.empty()) {
    return;
  }
  link->emitted += out.size();
  Enqueue(conn, *link, false, std::move(out));
  link->report_due = true;
  ScheduleReport(conn, *link);
}

void ConsumerLinks::NodeClose(ConnId conn) {
  Link* link = Find(conn);
  if (link == nullptr || !link->node_open) return;
  link->node_open = false;
  link->to_node.chunks.clear();
  ++link->to_node.token;
  link->to_node.pump_pending = false;
  if (link->consumer_open && !link->reset) Fin(conn, *link, false);
  ForgetIfDone(conn);
}

void ConsumerLinks::NodeStopped(int slot, bool flush) {
  std::vector<ConnId> ids;
  for (const auto& [id, link] : links_) {
    if (link.slot == slot && link.node_open) ids.push_back(id);
  }
  for (ConnId id : ids) {
    Link& link = links_.at(id);
    link.node_open = false;
    link.to_node.chunks.clear();
    ++link.to_node.token;
    link.to_node.pump_pending = false;
    if (link.reset) {
      // Its consumer hears of the reset already.
    } else if (flush) {
      if (link.consumer_open) Fin(id, link, false);
    } else {
      link.silent = true;
      link.to_consumer.chunks.clear();
      ++link.to_consumer.token;
      link.to_consumer.pump_pending = false;
    }
    ForgetIfDone(id);
  }
}

// ---- faults ----------------------------------------------------------------------------------

bool ConsumerLinks::Reset(size_t consumer) {
  std::vector<ConnId> open;
  for (ConnId id : by_consumer_[consumer]) {
    const Link* link = Find(id);
    if (link != nullptr && link->accepted && link->node_open && !link->silent && !link->reset) {
      open.push_back(id);
    }
  }
  if (open.empty()) return false;
  const ConnId id = open[rng_->Below(open.size())];
  Link& link = links_.at(id);
  link.reset = true;  // nothing flows any more; each side hears of it on its own
  for (Pipe* p : {&link.to_node, &link.to_consumer}) {
    p->chunks.clear();
    p->pump_pending = false;
    ++p->token;
  }
  (*trace_)(queue_->now(), "fault", "c{}'s connection #{} to {} reset", consumer, id,
            NodeName(link.slot));
  queue_->At(queue_->now() + rng_->Between(Duration{0}, Duration{2ms}), [this, id] {
    Link* l = Find(id);
    if (l == nullptr || !l->node_open) return;
    l->node_open = false;
    if (events_->NodeRunning(l->slot) && events_->NodeLife(l->slot) == l->life) {
      events_->NodeClosed(l->slot, id);
    }
    ForgetIfDone(id);
  });
  queue_->At(queue_->now() + rng_->Between(Duration{0}, Duration{2ms}),
             [this, id] { TellConsumer(id, "connection reset by peer"); });
  return true;
}

void ConsumerLinks::Spike(size_t consumer, Duration extra, Duration length) {
  spikes_[consumer] = {queue_->now() + length, extra};
}

void ConsumerLinks::PartitionChanged() {
  if (events_->Partitioned()) return;  // the pumps stop by themselves
  const TimePoint resume = queue_->now() + setup_.net.latency;
  for (auto& [id, link] : links_) {
    for (bool to_node : {true, false}) {
      Pipe& p = to_node ? link.to_node : link.to_consumer;
      for (Chunk& c : p.chunks) c.ready = std::max(c.ready, resume);
      p.last_ready = std::max(p.last_ready, resume);
      SchedulePump(id, link, to_node);
    }
  }
}

// ---- the pipes -------------------------------------------------------------------------------

std::vector<uint8_t> ConsumerLinks::Scan(ConnId conn, Link& link, bool to_node,
                                         std::span<const uint8_t> bytes) {
  FrameScanner& scanner = (to_node ? link.to_node : link.to_consumer).scanner;
  std::vector<Frame> frames = scanner.Feed(bytes);
  if (!scanner.error().empty()) {
    events_->BadStream(conn, to_node, scanner.error());
    return {};
  }
  if (to_node) {
    events_->FramesToNode(conn, frames);
  } else {
    events_->FramesToConsumer(conn, frames);
  }
  std::vector<uint8_t> out;
  for (const Frame& f : frames) out.insert(out.end(), f.bytes.begin(), f.bytes.end());
  return out;
}

void ConsumerLinks::Enqueue(ConnId conn, Link& link, bool to_node, std::vector<uint8_t> bytes) {
  Pipe& p = to_node ? link.to_node : link.to_consumer;
  const size_t n = bytes.size();
  std::vector<size_t> cuts;
  // A consumer sends little (hellos, acks, pings): one cut at most is enough to split a frame.
  const uint64_t random_cuts = rng_->Below(to_node ? 2 : 4);
  for (uint64_t i = 0; i < random_cuts && n > 1; ++i) cuts.push_back(1 + rng_->Below(n - 1));
  cuts.push_back(n);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  size_t start = 0;
  for (size_t cut : cuts) {
    Chunk c;
    c.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                   bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    c.ready = std::max(p.last_ready, queue_->now() + Latency(link.consumer));
    p.last_ready = c.ready;
    p.chunks.push_back(std::move(c));
    start = cut;
  }
  SchedulePump(conn, link, to_node);
}

void ConsumerLinks::Fin(ConnId conn, Link& link, bool to_node) {
  Pipe& p = to_node ? link.to_node : link.to_consumer;
  Chunk c;
  c.fin = true;
  c.ready = std::max(p.last_ready, queue_->now() + Latency(link.consumer));
  p.last_ready = c.ready;
  p.chunks.push_back(std::move(c));
  SchedulePump(conn, link, to_node);
}

void ConsumerLinks::SchedulePump(ConnId conn, Link& link, bool to_node) {
  Pipe& p = to_node ? link.to_node : link.to_consumer;
  if (p.pump_pending || p.chunks.empty() || Blocked(link)) return;
  p.pump_pending = true;
  const TimePoint at =
      to_node ? p.chunks.front().ready : std::max(p.chunks.front().ready, link.read_at);
  queue_->At(at, [this, conn, to_node, token = p.token] {
    Link* l = Find(conn);
    if (l != nullptr && (to_node ? l->to_node : l->to_consumer).token == token) {
      Pump(conn, to_node);
    }
  });
}

void ConsumerLinks::Pump(ConnId conn, bool to_node) {
  Link& link = links_.at(conn);
  Pipe& p = to_node ? link.to_node : link.to_consumer;
  p.pump_pending = false;
  if (p.chunks.empty() || Blocked(link)) return;
  const TimePoint now = queue_->now();
  const TimePoint at =
      to_node ? p.chunks.front().ready : std::max(p.chunks.front().ready, link.read_at);
  if (at > now) return SchedulePump(conn, link, to_node);
  if (to_node) return DeliverToNode(conn, link);
  DeliverToConsumer(conn, link);
}

void ConsumerLinks::DeliverToNode(ConnId conn, Link& link) {
  Pipe& p = link.to_node;
  const bool here = events_->NodeRunning(link.slot) && events_->NodeLife(link.slot) == link.life;
  if (p.chunks.front().fin) {
    p.chunks.pop_front();
    if (link.node_open) {
      link.node_open = false;
      if (here) events_->NodeClosed(link.slot, conn);
    }
    return ForgetIfDone(conn);
  }
  std::vector<uint8_t> bytes = std::move(p.chunks.front().bytes);
  p.chunks.pop_front();
  p.delivered += bytes.size();
  if (link.node_open && here) events_->NodeBytes(link.slot, conn, bytes);
  if (Link* l = Find(conn)) SchedulePump(conn, *l, true);
}

void ConsumerLinks::DeliverToConsumer(ConnId conn, Link& link) {
  Pipe& p = link.to_consumer;
  const size_t consumer = link.consumer;
  const auto endpoint = static_cast<size_t>(link.slot);
  if (p.chunks.front().fin) {
    p.chunks.pop_front();
    return TellConsumer(conn, "closed by the node");
  }
  const TimePoint now = queue_->now();
  const ConsumerSpec& spec = setup_.consumers[consumer];
  std::vector<uint8_t> bytes = std::move(p.chunks.front().bytes);
  p.chunks.pop_front();
  // A fast reader often wakes for each piece; a slow one finds everything that came meanwhile.
  while (!p.chunks.empty() && !p.chunks.front().fin && p.chunks.front().ready <= now &&
         bytes.size() + p.chunks.front().bytes.size() <= kReadBytes &&
         (spec.ns_per_byte != 0 || rng_->Percent(50))) {
    bytes.insert(bytes.end(), p.chunks.front().bytes.begin(), p.chunks.front().bytes.end());
    p.chunks.pop_front();
  }
  p.delivered += bytes.size();
  link.consumed += bytes.size();
  link.read_at =
      now + spec.read_base + Duration{static_cast<int64_t>(bytes.size() * spec.ns_per_byte)};
  if (link.reported > 0) ScheduleReport(conn, link);
  if (link.consumer_open) events_->ConsumerBytes(consumer, endpoint, conn, bytes);
  if (Link* l = Find(conn)) SchedulePump(conn, *l, false);
}

void ConsumerLinks::ScheduleReport(ConnId conn, Link& link) {
  if (link.report_pending) return;
  link.report_pending = true;
  queue_->At(queue_->now(), [this, conn] { Report(conn); });
}

void ConsumerLinks::Report(ConnId conn) {
  Link* link = Find(conn);
  if (link == nullptr) return;
  link->report_pending = false;
  if (!link->node_open || !events_->NodeRunning(link->slot) ||
      events_->NodeLife(link->slot) != link->life) {
    return;
  }
  const uint64_t unread = link->emitted - link->consumed;
  const size_t queued = unread > setup_.net.socket_buffer
                            ? static_cast<size_t>(unread - setup_.net.socket_buffer)
                            : 0;
  if (!link->report_due && queued == link->reported) return;
  link->report_due = false;
  link->reported = queued;
  events_->NodeWritten(link->slot, conn, queued);
}

void ConsumerLinks::RefuseLater(ConnId conn, Link& link, std::string_view reason) {
  link.reset = true;
  const Duration rtt = 2 * Latency(link.consumer);
  queue_->At(queue_->now() + rtt,
             [this, conn, why = std::string(reason)] { TellConsumer(conn, why); });
}

void ConsumerLinks::TellConsumer(ConnId conn, std::string_view reason) {
  Link* l = Find(conn);
  if (l == nullptr || !l->consumer_open) return;
  l->consumer_open = false;
  const size_t consumer = l->consumer;
  const auto endpoint = static_cast<size_t>(l->slot);
  ForgetIfDone(conn);
  if (by_consumer_[consumer][endpoint] != conn) return;  // the session moved on already
  by_consumer_[consumer][endpoint] = 0;
  events_->ConsumerClosed(consumer, endpoint, conn, reason);
}

void ConsumerLinks::ForgetIfDone(ConnId conn) {
  auto it = links_.find(conn);
  if (it != links_.end() && !it->second.node_open && !it->second.consumer_open) links_.erase(it);
}

}  // namespace hasync::sim
