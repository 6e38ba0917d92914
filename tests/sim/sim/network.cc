#include "sim/network.h"

#include <algorithm>
#include <string>
#include <utility>

namespace hasync::sim {

using namespace std::chrono_literals;

Network::Network(NetParams params, Rng* rng, EventQueue* queue, LinkEvents* events, Tamper* tamper,
                 Trace* trace)
    : params_(params), rng_(rng), queue_(queue), events_(events), tamper_(tamper), trace_(trace) {}

Duration Network::Latency() {
  Duration d = params_.latency + rng_->Between(Duration{0}, params_.jitter);
  if (queue_->now() < spike_until_) d += spike_extra_;
  return d;
}

void Network::Send(int from, std::span<const uint8_t> bytes) {
  if (!alive_ || !open_[from]) return;  // written to a dead socket: lost with it
  Pipe& p = pipes_[from];
  std::vector<Frame> frames = p.scanner.Feed(bytes);
  if (!p.scanner.error().empty()) {
    events_->BadStream(from, p.scanner.error());
    return;
  }
  std::vector<uint8_t> out;
  std::vector<size_t> eof_ends;
  for (Frame& frame : frames) {
    if (tamper_ != nullptr) {
      std::string note = tamper_->Rewrite(from, queue_->now(), frame);
      if (!note.empty()) (*trace_)(queue_->now(), NodeName(from), "{}", note);
    }
    out.insert(out.end(), frame.bytes.begin(), frame.bytes.end());
    events_->FrameSent(from, frame, p.sent + out.size());
    if (frame.type == wire::MsgType::kRecordEof) eof_ends.push_back(out.size());
  }
  p.sent += out.size();
  Enqueue(from, std::move(out), eof_ends);
}

void Network::Enqueue(int from, std::vector<uint8_t> bytes, const std::vector<size_t>& eof_ends) {
  if (bytes.empty()) return;
  Pipe& p = pipes_[from];
  const size_t n = bytes.size();
  // TCP segmentation at random places; usually also right after a bulk EOF, so that the
  // bulk_complete check sees the standby exactly as the EOF left it.
  std::vector<size_t> cuts;
  const uint64_t random_cuts = rng_->Below(4);
  for (uint64_t i = 0; i < random_cuts && n > 1; ++i) cuts.push_back(1 + rng_->Below(n - 1));
  std::vector<size_t> barriers;
  for (size_t end : eof_ends) {
    if (rng_->Percent(80)) barriers.push_back(end);
  }
  cuts.insert(cuts.end(), barriers.begin(), barriers.end());
  cuts.push_back(n);
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  size_t start = 0;
  const TimePoint now = queue_->now();
  for (size_t cut : cuts) {
    Chunk c;
    c.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                   bytes.begin() + static_cast<std::ptrdiff_t>(cut));
    c.barrier = std::find(barriers.begin(), barriers.end(), cut) != barriers.end();
    c.ready = std::max(p.last_ready, now + Latency());
    p.last_ready = c.ready;
    p.chunks.push_back(std::move(c));
    start = cut;
  }
  Disorder(from, cuts.size());
  SchedulePump(from);
}

// Applies an armed corruption or reordering to the pieces just queued (and, for a reordering,
// the piece before them).
void Network::Disorder(int from, size_t fresh) {
  Pipe& p = pipes_[from];
  const TimePoint now = queue_->now();
  if (p.corrupt_next) {
    Chunk& c = p.chunks[p.chunks.size() - 1 - rng_->Below(fresh)];
    const uint64_t at = rng_->Below(c.bytes.size());
    c.bytes[at] = static_cast<uint8_t>(c.bytes[at] ^ (1u << rng_->Below(8)));
    p.corrupt_next = false;
    p.tampered = true;
    (*trace_)(now, "net", "corrupted a byte sent by {}", NodeName(from));
  }
  if (p.reorder_next && p.chunks.size() >= 2) {
    Chunk& a = p.chunks[p.chunks.size() - 2];
    Chunk& b = p.chunks.back();
    if (!a.fin && a.bytes != b.bytes) {
      std::swap(a.bytes, b.bytes);
      p.reorder_next = false;
      p.tampered = true;
      (*trace_)(now, "net", "swapped two pieces sent by {}", NodeName(from));
    }
  }
}

void Network::Fin(int from) {
  Pipe& p = pipes_[from];
  Chunk c;
  c.fin = true;
  c.ready = std::max(p.last_ready, queue_->now() + Latency());
  p.last_ready = c.ready;
  p.chunks.push_back(std::move(c));
  SchedulePump(from);
}

void Network::SchedulePump(int from) {
  Pipe& p = pipes_[from];
  if (p.pump_pending || p.chunks.empty() || partitioned_) return;
  p.pump_pending = true;
  const uint64_t token = ++p.pump_token;
  queue_->At(p.chunks.front().ready, [this, from, token] {
    if (pipes_[from].pump_token == token) Pump(from);
  });
}

void Network::Pump(int from) {
  Pipe& p = pipes_[from];
  p.pump_pending = false;
  if (partitioned_ || p.chunks.empty()) return;
  const TimePoint now = queue_->now();
  if (p.chunks.front().ready > now) return SchedulePump(from);
  const int to = 1 - from;
  if (p.chunks.front().fin) {
    p.chunks.pop_front();
    if (open_[to]) {
      open_[to] = false;
      (*trace_)(now, "net", "FIN from {} reaches {}", NodeName(from), NodeName(to));
      events_->ChannelDown(to, "the peer closed the connection");
    }
    return MaybeTeardown();
  }
  std::vector<uint8_t> bytes = std::move(p.chunks.front().bytes);
  bool barrier = p.chunks.front().barrier;
  p.chunks.pop_front();
  while (!barrier && !p.chunks.empty() && !p.chunks.front().fin && p.chunks.front().ready <= now &&
         rng_->Percent(50)) {
    bytes.insert(bytes.end(), p.chunks.front().bytes.begin(), p.chunks.front().bytes.end());
    barrier = p.chunks.front().barrier;
    p.chunks.pop_front();
  }
  p.delivered += bytes.size();
  if (open_[to] && events_->NodeRunning(to)) events_->Bytes(to, bytes);
  SchedulePump(from);
}

void Network::ClearPipes() {
  for (Pipe& p : pipes_) {
    p.chunks.clear();
    p.pump_pending = false;
    ++p.pump_token;
  }
}

void Network::MaybeTeardown() {
  if (open_[0] || open_[1]) return;
  if (alive_) {
    alive_ = false;
    (*trace_)(queue_->now(), "net", "connection #{} closed on both sides", conn_);
  }
  ClearPipes();
  ScheduleConnect(rng_->Between(params_.retry_min, params_.retry_max));
}

void Network::ScheduleConnect(Duration delay) {
  if (connect_pending_) return;
  connect_pending_ = true;
  queue_->At(queue_->now() + delay, [this] { Connect(); });
}

void Network::Connect() {
  connect_pending_ = false;
  // Otherwise a later event asks again: a node start, the heal, or the last endpoint closing.
  if (!events_->NodeRunning(0) || !events_->NodeRunning(1) || partitioned_ || refused_ >= 0 ||
      (open_[0] && open_[1])) {
    return;
  }
  if (open_[0] || open_[1]) return Refuse(open_[0] ? 1 : 0);
  ++conn_;
  alive_ = true;
  open_ = {true, true};
  for (Pipe& p : pipes_) {
    Pipe fresh;
    fresh.pump_token = p.pump_token + 1;
    fresh.corrupt_next = p.corrupt_next;  // an armed fault waits for the next bytes
    fresh.reorder_next = p.reorder_next;
    p = std::move(fresh);
  }
  (*trace_)(queue_->now(), "net", "connection #{} established", conn_);
  const int first = static_cast<int>(rng_->Below(2));
  events_->ChannelUp(first);
  events_->ChannelUp(1 - first);
}

// The dialer's connection is accepted by the kernel and closed by the peer's daemon, which still
// holds connection conn_. Nothing the dialer sends on it reaches anyone (open_[dialer] stays
// false, so Send drops it).
void Network::Refuse(int dialer) {
  refused_ = dialer;
  (*trace_)(queue_->now(), "net", "{} dials; {} still holds connection #{} and refuses it",
            NodeName(dialer), NodeName(1 - dialer), conn_);
  events_->ChannelUp(dialer);
  queue_->At(queue_->now() + 2 * Latency(), [this, dialer, token = ++refuse_token_] {
    if (token != refuse_token_) return;
    refused_ = -1;
    events_->ChannelDown(dialer, "the peer closed a second connection");
    ScheduleConnect(rng_->Between(params_.retry_min, params_.retry_max));
  });
}

void Network::Close(int from) {
  if (!open_[from]) return;
  open_[from] = false;
  if (alive_) Fin(from);
  MaybeTeardown();
}

void Network::NodeStarted(int slot) {
  (void)slot;
  ScheduleConnect(params_.connect);
}

void Network::NodeStopped(int slot, bool flush) {
  if (refused_ == slot) {  // the refused connection dies with its node
    refused_ = -1;
    ++refuse_token_;
  }
  if (open_[slot]) {
    open_[slot] = false;
    if (alive_ && flush) {
      Fin(slot);
    } else if (alive_) {
      Pipe& p = pipes_[slot];
      p.chunks.clear();
      p.pump_pending = false;
      ++p.pump_token;
    }
  }
  MaybeTeardown();
}

void Network::SetPartition(bool on) {
  if (partitioned_ == on) return;
  partitioned_ = on;
  if (on) return;
  const TimePoint resume = queue_->now() + params_.latency;
  for (int from : {0, 1}) {
    Pipe& p = pipes_[from];
    for (Chunk& c : p.chunks) c.ready = std::max(c.ready, resume);
    p.last_ready = std::max(p.last_ready, resume);
    SchedulePump(from);
  }
  // A side that closed its endpoint during the partition dials again.
  if (!open_[0] || !open_[1]) ScheduleConnect(rng_->Between(params_.retry_min, params_.retry_max));
}

bool Network::Reset() {
  if (!alive_) return false;
  alive_ = false;
  ClearPipes();
  for (int slot : {0, 1}) {
    if (!open_[slot]) continue;
    queue_->At(queue_->now() + rng_->Between(Duration{0}, Duration{2ms}),
               [this, slot, conn = conn_] {
                 if (conn_ != conn || !open_[slot]) return;
                 open_[slot] = false;
                 events_->ChannelDown(slot, "connection reset by peer");
                 MaybeTeardown();
               });
  }
  return true;
}

void Network::Calm() {
  for (Pipe& p : pipes_) p.corrupt_next = p.reorder_next = false;
  spike_until_ = queue_->now();
}

void Network::Spike(Duration extra, Duration length) {
  spike_extra_ = extra;
  spike_until_ = queue_->now() + length;
}

}  // namespace hasync::sim
