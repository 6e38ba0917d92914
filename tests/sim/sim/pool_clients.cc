#include "sim/pool_clients.h"

#include <algorithm>
#include <cstdlib>

#include "fmt/format.h"
#include "pool/lease.h"
#include "sim/world.h"

namespace hasync::sim {
namespace {

using namespace std::chrono_literals;
using core::Duration;
using core::TimePoint;
using pool::PoolOp;

// --break pool-fast-clock: node 2's pool reads a wall clock this far ahead of its node's.
constexpr int64_t kFastClockMs = 30'000;

uint8_t Bit(int slot) { return static_cast<uint8_t>(1u << slot); }

}  // namespace

PoolClients::PoolClients(World* world) : w_(world) {
  const PoolSetup& p = w_->setup().pool;
  if (!p.on) return;
  Result<pool::AddressSpace> space =
      pool::AddressSpace::Create(p.options.ranges, p.options.exclude);
  if (!space.ok()) return;  // NodeStarting reports it: the pool cannot be created either
  space_ = std::move(space).value();
  for (int slot : {0, 1}) {
    shares_[slot].emplace(p.options.share, space_->size(), static_cast<NodeId>(slot + 1),
                          static_cast<NodeId>(2 - slot));
  }
  clients_.resize(p.clients);
  for (uint64_t i = 0; i < p.clients; ++i) clients_[i].id = fmt::format("c{:02}", i);
}

PoolClients::~PoolClients() = default;

std::string PoolClients::Keepers(uint8_t keepers) {
  if (keepers == 0) return "nobody";
  if (keepers == 3) return "n1 and n2";
  return std::string(NodeName(keepers == 1 ? 0 : 1));
}

bool PoolClients::on() const { return w_->setup().pool.on; }

pool::PoolClock PoolClients::Clock(int slot) const {
  const bool fast = w_->brk() == BreakMode::kPoolFastClock && slot == 1;
  return {w_->now(), w_->setup().wall_ms(slot, w_->now()) + (fast ? kFastClockMs : 0)};
}

TimePoint PoolClients::TrueTime(int slot, uint64_t wall_ms) const {
  const int64_t ms =
      static_cast<int64_t>(wall_ms) - static_cast<int64_t>(kEpochMs) - w_->setup().skew_ms[slot];
  return std::chrono::duration_cast<TimePoint>(std::chrono::milliseconds(ms));
}

std::string PoolClients::Where(int slot) const {
  return fmt::format("{} ({})", NodeName(slot), PoolScopeName(views_[slot].scope));
}

template <typename Fn>
void PoolClients::Update(Fn fn) {
  const TimePoint now = w_->now();
  for (Client& c : clients_) {
    for (auto& [address, h] : c.held) {
      h.keepers = fn(h.keepers);
      h.floor_keepers = fn(h.floor_keepers);
      if (h.lost || h.until <= now || h.keepers != 0 ||
          (h.floor_keepers != 0 && h.floor_until > now)) {
        continue;
      }
      h.lost = true;
      ++counts_.lost;
      w_->trace()(now, "check", "{}'s lease of {} (until {}s) is lost: every copy of it died", c.id,
                  address, Trace::Time(h.until));
    }
  }
}

// ---- the pools' lives ----------------------------------------------------------------------

void PoolClients::NodeStarting(int slot, core::Node& node) {
  if (!on()) return;
  const PoolSetup& p = w_->setup().pool;
  const NodeId self = static_cast<NodeId>(slot + 1);
  // --break pool-no-shares: node 2's pool believes it has no peer, so it owns the whole pool.
  const bool alone = w_->brk() == BreakMode::kPoolNoShares && slot == 1;
  const NodeId peer = alone ? 0 : static_cast<NodeId>(2 - slot);
  Result<std::unique_ptr<pool::AddressPool>> created =
      pool::AddressPool::Create(p.options, self, peer);
  if (!created.ok() || !space_) {
    return w_->Fail("pool_served", "the pool cannot be created: " + created.status().ToString());
  }
  pools_[slot] = std::move(created).value();
  node.SetMergeFunction(pools_[slot]->table(),
                        [this, merge = pools_[slot]->merge_function()](
                            const MergeRecord& local, const MergeRecord& incoming) {
                          ++counts_.merged;
                          return merge(local, incoming);
                        });
  duplicates_seen_[slot] = 0;
  partner_down_[slot] = false;
  Forget(slot);
  views_[slot] = ScopeView{};
  const uint64_t life = w_->incarnation(slot);
  w_->At(w_->now() + pool::kTickInterval, [this, slot, life] { PeriodicTick(slot, life); });
}

void PoolClients::Forget(int slot) {
  World& w = *w_;
  std::map<std::string, TimePoint> forgot;
  auto note = [&](const std::string& address, TimePoint until) {
    TimePoint& t = forgot[address];
    t = std::max(t, until);
  };
  const int peer = 1 - slot;
  const Duration spread = Spread();
  if (w.running(peer) && pools_[peer] != nullptr) {
    if (const store::Table* table = w.node(peer).store().Find(pools_[peer]->table())) {
      table->ForEach([&](const store::RecordView& r) {
        const Result<pool::LeaseRecord> lease = pool::DecodeLease(r.value);
        if (!lease.ok()) return;
        note(std::string(r.key),
             TrueTime(static_cast<int>(r.origin) - 1, lease->expires_ms) + spread);
      });
    }
  }
  for (const Client& c : clients_) {
    for (const auto& [address, h] : c.held) {
      if (h.until > w.now()) note(address, h.until);
    }
  }
  forgot_[slot].reset();
  // A restarted life is forgetful even of nothing yet: its earlier life's last writes may still
  // be on their way to the peer (NoteLateWrites).
  if (!forgot.empty() || w.incarnation(slot) > 1) forgot_[slot] = std::move(forgot);
}

Duration PoolClients::Spread() const {
  return std::chrono::milliseconds(std::abs(w_->setup().skew_ms[0] - w_->setup().skew_ms[1]));
}

bool PoolClients::EarlierLife(int writer, const pool::LeaseRecord& lease) const {
  return lease.granted_ms < w_->setup().wall_ms(writer, w_->writer(writer).started);
}

void PoolClients::NoteLateWrites(int holder) {
  World& w = *w_;
  const int writer = 1 - holder;
  if (!forgot_[writer] || !w.running(writer) || pools_[holder] == nullptr) return;
  const store::Table* table = w.node(holder).store().Find(pools_[holder]->table());
  if (table == nullptr) return;
  table->ForEach([&](const store::RecordView& r) {
    if (r.origin != static_cast<store::NodeIdWire>(writer + 1)) return;
    const Result<pool::LeaseRecord> lease = pool::DecodeLease(r.value);
    if (!lease.ok() || !EarlierLife(writer, *lease)) return;
    const std::string address(r.key);
    const TimePoint until = TrueTime(writer, lease->expires_ms) + Spread();
    TimePoint& forgot = (*forgot_[writer])[address];
    if (forgot >= until) return;
    forgot = until;
    // What the forgetful life granted of it already was uncovered from its grant.
    for (const Client& c : clients_) {
      auto h = c.held.find(address);
      if (h == c.held.end() || h->second.replier != writer || h->second.until <= w.now()) continue;
      uncovered_[address].emplace_back(h->second.since, std::max(h->second.until, until));
    }
  });
}

bool PoolClients::Uncovered(const std::string& address, std::optional<TimePoint> at) const {
  const TimePoint t = at.value_or(w_->now());
  auto it = uncovered_.find(address);
  if (it == uncovered_.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [t](const auto& window) { return window.first <= t && t < window.second; });
}

bool PoolClients::Excused(const std::string& line, size_t address_at) const {
  const std::string address = line.substr(address_at, line.find(':', address_at) - address_at);
  // The two grant times, on the wall clock of whichever node granted each: the log names the
  // record's last writer, which a renewal or an expiry may have made the other node, so each
  // time is read on both clocks.
  std::vector<uint64_t> granted;
  constexpr std::string_view kGranted = "(granted ";
  for (size_t at = line.find(kGranted); at != std::string::npos; at = line.find(kGranted, at + 1)) {
    granted.push_back(std::strtoull(line.c_str() + at + kGranted.size(), nullptr, 10));
  }
  if (granted.size() != 2) return false;
  // The overlap began with the later grant; the wall clock is read to the ms, so the grant
  // happened within 1 ms after it.
  for (int a : {0, 1}) {
    for (int b : {0, 1}) {
      const TimePoint later = std::max(TrueTime(a, granted[0]), TrueTime(b, granted[1]));
      if (Uncovered(address, later) || Uncovered(address, later + 1ms)) return true;
    }
  }
  return false;
}

void PoolClients::PeriodicTick(int slot, uint64_t incarnation) {
  World& w = *w_;
  if (!w.running(slot) || w.incarnation(slot) != incarnation) return;  // that life ended
  w.Call(slot, [](core::Node&) {});                                    // Turn ticks the pool
  w.At(w.now() + pool::kTickInterval,
       [this, slot, incarnation] { PeriodicTick(slot, incarnation); });
}

void PoolClients::NodeLost(int slot) {
  if (!on()) return;
  pools_[slot].reset();
  partner_down_[slot] = false;
  for (auto it = requests_.begin(); it != requests_.end();) {
    const Request& r = it->second;
    if (r.slot != slot) {
      ++it;
      continue;
    }
    Client& c = clients_[r.client];
    c.busy = false;
    // The release may have been written before the crash: the client has let the address go.
    if (r.op == PoolOp::kRelease) {
      c.held.erase(r.address);
      c.released.insert(r.address);
    }
    dues_.erase({r.due, it->first});
    it = requests_.erase(it);
  }
  Update([slot](uint8_t k) { return static_cast<uint8_t>(k & ~Bit(slot)); });
}

void PoolClients::Turn(int slot, core::Node& node) {
  pool::AddressPool* pool = pools_[slot].get();
  if (pool == nullptr) return;
  NoteLateWrites(slot);
  BeforePoolCall(slot, node, true);
  pool->Tick(node, Clock(slot));
  AfterPoolCall(slot, node);
  Output(slot, 0);
}

bool PoolClients::Completed(int slot, const core::WriteCompleted& done) {
  if (pools_[slot] == nullptr || (done.token != 0 && done.token < kPoolTokenBase)) return false;
  if (!pools_[slot]->OnWriteCompleted(done)) {
    w_->Fail("pool_served", fmt::format("{} completed pool write tok={}, which its pool does not "
                                        "wait for",
                                        NodeName(slot), done.token));
    return true;
  }
  Output(slot, done.token);
  return true;
}

void PoolClients::ReconcileCompleted() {
  if (counts_.merged > merged_at_reconcile_) ++counts_.merge_reconciles;
  merged_at_reconcile_ = counts_.merged;
}

void PoolClients::Output(int slot, uint64_t acked) {
  pool::AddressPool& pool = *pools_[slot];
  for (const pool::PoolReply& reply : pool.TakeReplies()) {
    Answered(slot, reply, acked != 0 && reply.token == acked);
  }
  // "pool <name>: duplicate lease of <address>: ...", one line per duplicate the merge counted.
  constexpr std::string_view kDuplicate = "duplicate lease of ";
  uint64_t excused = 0;
  std::string duplicate;
  for (const std::string& line : pool.TakeLog()) {
    w_->trace()(w_->now(), NodeName(slot), "pool log: {}", line);
    const size_t at = line.find(kDuplicate);
    if (at == std::string::npos) continue;
    if (Excused(line, at + kDuplicate.size())) {
      ++excused;
      ++counts_.forgotten_regranted;
    } else {
      duplicate = line;
    }
  }
  const uint64_t found = pool.duplicates() - duplicates_seen_[slot];
  duplicates_seen_[slot] = pool.duplicates();
  if (found > excused) {
    w_->Fail("pool_unique", fmt::format("{}'s merge found a lease given to two clients: {}",
                                        NodeName(slot), duplicate));
  }
}

// ---- the clients ---------------------------------------------------------------------------

void PoolClients::Run(TimePoint until) {
  if (!on() || clients_.empty()) return;
  if (w_->setup().pool.partner_down && w_->pool_rng().Percent(50)) LongCrash(until);
  Tick(until);
}

void PoolClients::Tick(TimePoint until) {
  World& w = *w_;
  if (w.now() >= until) return;
  Act(static_cast<size_t>(w.pool_rng().Below(clients_.size())));
  const Duration gap = w.pool_rng().Between(Duration{500us}, w.setup().pool.gap_max);
  w.At(w.now() + gap, [this, until] { Tick(until); });
}

void PoolClients::Act(size_t index) {
  World& w = *w_;
  Rng& rng = w.pool_rng();
  Client& c = clients_[index];
  if (c.busy || w.failed()) return;
  std::erase_if(c.held, [&](const auto& h) { return h.second.until <= w.now(); });
  // The node the client believes active; now and then the other one.
  const bool active0 = w.running(0) && w.invariants().status(0).role == Role::kActive;
  const bool active1 = w.running(1) && w.invariants().status(1).role == Role::kActive;
  int slot = active0 == active1 ? static_cast<int>(rng.Below(2)) : (active0 ? 0 : 1);
  if (rng.Percent(10)) slot = 1 - slot;
  const uint64_t x = rng.Below(100);
  if (!w.running(slot) || pools_[slot] == nullptr) return;
  // The holding it cares about: the one that lasts longest.
  auto h = std::max_element(c.held.begin(), c.held.end(), [](const auto& a, const auto& b) {
    return a.second.until < b.second.until;
  });
  if (h == c.held.end() || h->second.releasing) {
    if (h == c.held.end() && x < 60) Send(index, slot, PoolOp::kAllocate, "");
    return;
  }
  const Duration lease = w.setup().pool.options.lease_time;
  if (h->second.until - w.now() < lease / 2 && !h->second.lapse) {
    if (x < 60) {
      Send(index, slot, PoolOp::kRenew, h->first);
    } else if (x < 63) {
      Send(index, slot, PoolOp::kRelease, h->first);
    }
  } else if (x < 3) {
    Send(index, slot, PoolOp::kRelease, h->first);
  } else if (x < 6) {
    Send(index, slot, PoolOp::kRenew, h->first);
  } else if (x < 8) {
    Send(index, slot, PoolOp::kAllocate, "");  // a sticky allocation returns the same lease
  }
}

void PoolClients::Send(size_t index, int slot, PoolOp op, const std::string& address) {
  World& w = *w_;
  Client& c = clients_[index];
  const core::CoreConfig& config = w.setup().nodes[slot];
  const uint64_t token = next_token_++;
  const TimePoint due =
      w.now() + config.postpone_timeout + pool::kTickInterval + config.replicate_timeout + 1ms;
  requests_.emplace(token, Request{index, slot, op, address, w.now(), due});
  dues_.emplace(due, token);
  c.busy = true;
  if (op == PoolOp::kRelease) c.held[address].releasing = true;
  w.Call(slot, [&](core::Node& node) {
    BeforePoolCall(slot, node, false);
    std::optional<pool::PoolReply> reply =
        pools_[slot]->Request(node, Clock(slot), op, c.id, address, token);
    AfterPoolCall(slot, node);
    if (w.trace().on()) {
      w.trace()(w.now(), Where(slot), "client {} {}{}{} tok={}{}", c.id, pool::PoolOpName(op),
                address.empty() ? "" : " ", address, token - kPoolTokenBase,
                reply ? "" : " (waits)");
    }
    if (reply) Answered(slot, *reply, false);
    Output(slot, 0);
  });
}

void PoolClients::Answered(int slot, const pool::PoolReply& reply, bool via_ack) {
  World& w = *w_;
  auto it = requests_.find(reply.token);
  if (it == requests_.end() || it->second.slot != slot) {
    return w.Fail("pool_served", fmt::format("{} answered pool request tok={}, which it has no "
                                             "pending (not sent to it, or answered already)",
                                             NodeName(slot), reply.token - kPoolTokenBase));
  }
  const Request r = std::move(it->second);
  requests_.erase(it);
  dues_.erase({r.due, reply.token});
  Client& c = clients_[r.client];
  c.busy = false;
  const Lease& lease = reply.lease;
  if (w.trace().on()) {
    w.trace()(
        w.now(), NodeName(slot), "pool answers {} {} tok={}{}: {}{}", c.id, pool::PoolOpName(r.op),
        reply.token - kPoolTokenBase, via_ack ? " (acknowledged)" : "", reply.status.ToString(),
        reply.status.ok()
            ? fmt::format(" {} {} until {} ms{}{}", lease.address, LeaseStateName(lease.state),
                          lease.expires_ms, lease.own_share ? "" : " (peer's share)",
                          lease.extended ? " extended" : "")
            : "");
  }
  const Code code = reply.status.code();
  if (r.op == PoolOp::kRelease) {
    auto h = c.held.find(r.address);
    if (h == c.held.end()) return;
    // ok, or not held, or written here but not confirmed: the client has let it go. (kTimeout
    // is also the core's, for a write the standby did not acknowledge in time.)
    if (reply.status.ok() || code == Code::kNotFound || code == Code::kNotReplicated ||
        code == Code::kTimeout) {
      c.held.erase(h);
      c.released.insert(r.address);
    } else {
      h->second.releasing = false;
    }
    return;
  }
  if (!reply.status.ok()) {
    if (code == Code::kExhausted) ++counts_.exhausted;
    if (r.op == PoolOp::kRenew && code == Code::kNotFound) c.held.erase(r.address);  // a NAK
    return;
  }
  if (lease.client != c.id || lease.state != LeaseState::kLeased ||
      !space_->OrdinalOf(lease.address) || (r.op == PoolOp::kRenew && lease.address != r.address)) {
    return w.Fail(
        "pool_served",
        fmt::format("{} answered {}'s {} tok={} with a lease of {} to {} ({})", NodeName(slot),
                    c.id, pool::PoolOpName(r.op), reply.token - kPoolTokenBase, lease.address,
                    lease.client, LeaseStateName(lease.state)));
  }
  ++(r.op == PoolOp::kAllocate ? counts_.grants : counts_.renewals);
  Granted(c, slot, lease, via_ack);
}

bool PoolClients::WrittenByEarlierLife(int writer, int holder, const std::string& address,
                                       const std::string& client) const {
  if (!forgot_[writer] || !w_->running(holder) || pools_[holder] == nullptr) return false;
  const store::Table* table = w_->node(holder).store().Find(pools_[holder]->table());
  const std::optional<store::RecordView> r = table != nullptr ? table->Get(address) : std::nullopt;
  if (!r || r->origin != static_cast<store::NodeIdWire>(writer + 1)) return false;
  const Result<pool::LeaseRecord> held = pool::DecodeLease(r->value);
  return held.ok() && held->client == client && EarlierLife(writer, *held);
}

std::optional<TimePoint> PoolClients::ForgottenHolding(int slot, const Client& grantee,
                                                       const std::string& address) const {
  for (const Client& other : clients_) {
    auto o = other.held.find(address);
    if (&other == &grantee || o == other.held.end() || o->second.until <= w_->now()) continue;
    if (WrittenByEarlierLife(slot, o->second.replier, address, other.id)) return o->second.until;
  }
  return std::nullopt;
}

void PoolClients::Granted(Client& c, int slot, const Lease& lease, bool via_ack) {
  World& w = *w_;
  const TimePoint until = TrueTime(slot, lease.expires_ms);
  if (forgot_[slot]) {
    std::optional<TimePoint> forgot_until;
    auto forgot = forgot_[slot]->find(lease.address);
    if (forgot != forgot_[slot]->end() && forgot->second > w.now()) forgot_until = forgot->second;
    if (std::optional<TimePoint> held = ForgottenHolding(slot, c, lease.address)) {
      forgot_until = std::max(forgot_until.value_or(*held), *held);
    }
    if (forgot_until) {
      ++counts_.forgotten;
      const TimePoint end = std::max(*forgot_until, until);
      uncovered_[lease.address].emplace_back(w.now(), end);
      w.trace()(w.now(), "check",
                "{} grants {}, which it forgot when it restarted: uncovered until {}s",
                NodeName(slot), lease.address, Trace::Time(end));
    }
  }
  // The lease answered here may be one the forgetful peer's earlier life wrote (the other order
  // of ForgottenHolding's case): what the peer granted of that address since, it forgot.
  const int peer = 1 - slot;
  const bool peer_forgot = WrittenByEarlierLife(peer, slot, lease.address, c.id);
  for (Client& other : clients_) {
    if (&other == &c) continue;
    auto o = other.held.find(lease.address);
    if (o == other.held.end() || o->second.until <= w.now()) continue;
    const Holding& h = o->second;
    if (peer_forgot && h.replier == peer) {
      ++counts_.forgotten;
      uncovered_[lease.address].emplace_back(h.since, std::max(h.until, until));
      w.trace()(w.now(), "check", "{} granted {} to {}, which it forgot when it restarted",
                NodeName(peer), lease.address, other.id);
    }
    if (Uncovered(lease.address)) {
      ++counts_.forgotten_regranted;
      w.trace()(w.now(), "check",
                "{} goes to {} while {} holds it until {}s, but it is uncovered "
                "(forgotten by a restarted node)",
                lease.address, c.id, other.id, Trace::Time(h.until));
      continue;
    }
    const bool kept =
        (h.keepers != 0 && h.until > w.now()) || (h.floor_keepers != 0 && h.floor_until > w.now());
    if (!kept) {
      ++counts_.lost_regranted;
      w.trace()(w.now(), "check",
                "{} goes to {} while {} holds it until {}s, but every copy of "
                "that lease died (lost)",
                lease.address, c.id, other.id, Trace::Time(h.until));
      continue;
    }
    return w.Fail("pool_unique",
                  fmt::format("{} granted {} to {} until {}s, but {} holds it until {}s (answered "
                              "by {}, its lease kept by {})",
                              NodeName(slot), lease.address, c.id, Trace::Time(until), other.id,
                              Trace::Time(h.until), NodeName(h.replier),
                              Keepers(h.keepers != 0 ? h.keepers : h.floor_keepers)));
  }
  if (until <= w.now()) {  // answered after it ended (a long wait for the standby)
    c.held.erase(lease.address);
    return;
  }
  // Kept by the replier; by its standby too if the answer followed its acknowledgement.
  uint8_t keepers = Bit(slot);
  if (via_ack && w.running(peer) && w.network().alive() && w.network().open(peer)) {
    keepers |= Bit(peer);
  }
  Holding next;
  next.since = w.now();
  next.until = until;
  next.expires_ms = lease.expires_ms;
  next.replier = slot;
  next.keepers = keepers;
  next.lapse = w.pool_rng().Percent(w.setup().pool.lapse_percent);
  // What an earlier answer for this address guarantees still stands where this one is not
  // kept: if only the replier keeps the extension and it crashes, the lease is back to that.
  auto old = c.held.find(lease.address);
  if (old != c.held.end() && old->second.until > w.now()) {
    const Holding& h = old->second;
    if ((h.keepers & ~keepers) != 0) {
      next.floor_until = h.until;
      next.floor_keepers = h.keepers;
    } else {
      next.floor_until = h.floor_until;
      next.floor_keepers = h.floor_keepers;
    }
  }
  c.held[lease.address] = next;
}

// ---- who keeps the leases ------------------------------------------------------------------

void PoolClients::BulkBegin(int receiver, int sender) {
  Update([=](uint8_t k) {
    return (k & Bit(sender)) != 0 ? k : static_cast<uint8_t>(k & ~Bit(receiver));
  });
}

void PoolClients::BulkEnd(int receiver, int sender) {
  forgot_[receiver].reset();
  Update([=](uint8_t k) {
    return (k & Bit(sender)) != 0 ? static_cast<uint8_t>(k | Bit(receiver))
                                  : static_cast<uint8_t>(k & ~Bit(receiver));
  });
}

void PoolClients::Reconciled(int receiver, int sender) {
  forgot_[receiver].reset();
  Update([=](uint8_t k) {
    return (k & Bit(sender)) != 0 ? static_cast<uint8_t>(k | Bit(receiver)) : k;
  });
}

// ---- partner-down --------------------------------------------------------------------------

void PoolClients::LongCrash(TimePoint until) {
  World& w = *w_;
  const TimePoint at = w.now() + w.pool_rng().Between(Duration{0}, (until - w.now()) / 2);
  const int slot = static_cast<int>(w.pool_rng().Below(2));
  w.At(at, [this, &w, slot, until] {
    if (!w.running(0) || !w.running(1)) {
      w.trace()(w.now(), "fault", "long crash of {} skipped (a node is down)", NodeName(slot));
      return;
    }
    w.trace()(w.now(), "fault", "long crash of {}, until the quiet window", NodeName(slot));
    w.Crash(slot, CrashKind::kKill);
    const core::CoreConfig& c = w.setup().nodes[0];
    const TimePoint declare = w.now() + c.heartbeat_interval * c.dead_after_missed + 50ms;
    w.At(declare, [this, slot, until] { DeclarePartnerDown(1 - slot, slot, until); });
    w.At(until, [&w, slot] {
      if (!w.running(slot)) w.Start(slot);
    });
  });
}

void PoolClients::DeclarePartnerDown(int survivor, int dead, TimePoint until) {
  World& w = *w_;
  if (w.now() >= until || w.running(dead) || !w.running(survivor)) return;
  const core::Node& node = w.node(survivor);
  if (pools_[survivor] != nullptr && node.role() == Role::kActive && !node.peer().connected) {
    Status st;
    w.Call(survivor, [&](core::Node& n) {
      st = pools_[survivor]->DeclarePartnerDown(n);
      if (st.ok()) partner_down_[survivor] = true;
    });
    w.trace()(w.now(), "admin", "partner-down declared on {} ({} is down): {}", NodeName(survivor),
              NodeName(dead), st.ToString());
    if (st.ok()) {
      ++counts_.partner_downs;
      return;
    }
  }
  w.At(w.now() + 100ms,
       [this, survivor, dead, until] { DeclarePartnerDown(survivor, dead, until); });
}

}  // namespace hasync::sim
