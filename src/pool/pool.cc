#include "pool/pool.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "fmt/format.h"
#include "pool/lease.h"

namespace hasync::pool {

namespace {

Status CheckOptions(const PoolOptions& o) {
  if (o.name.empty() || o.name.size() > 64) {
    return InvalidArgument(fmt::format("pool name \"{}\": 1..64 characters", o.name));
  }
  for (char c : o.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') {
      return InvalidArgument(fmt::format("pool name \"{}\": only A-Z a-z 0-9 _ . -", o.name));
    }
  }
  if (o.lease_time.count() < 1) {
    return InvalidArgument(fmt::format("pool {}: lease time must be at least 1 s", o.name));
  }
  if (o.grace.count() < 1) {
    return InvalidArgument(fmt::format("pool {}: grace must be at least 1 s", o.name));
  }
  return Status::Ok();
}

}  // namespace

std::string_view PoolOpName(PoolOp op) {
  switch (op) {
    case PoolOp::kAllocate:
      return "allocate";
    case PoolOp::kRenew:
      return "renew";
    case PoolOp::kRelease:
      return "release";
  }
  return "unknown";
}

PoolScope ScopeOf(Role role, bool reconciling, const core::PeerView& peer, bool has_peer,
                  bool partner_down) {
  if (role != Role::kActive) return PoolScope::kNone;
  if (reconciling) return PoolScope::kWaiting;
  if (!has_peer || (partner_down && !peer.connected)) return PoolScope::kWholePool;
  if (peer.connected && peer.role == Role::kStandby && peer.in_sync) return PoolScope::kWholePool;
  return PoolScope::kOwnShare;
}

Result<std::unique_ptr<AddressPool>> AddressPool::Create(PoolOptions options, NodeId self,
                                                         NodeId peer) {
  if (Status s = CheckOptions(options); !s.ok()) return s;
  if (self == peer) return InvalidArgument("the pool's two node ids are equal");
  Result<AddressSpace> space = AddressSpace::Create(options.ranges, options.exclude);
  if (!space.ok()) {
    return InvalidArgument(fmt::format("pool {}: {}", options.name, space.status().message()));
  }
  return std::unique_ptr<AddressPool>(
      new AddressPool(std::move(options), std::move(space).value(), self, peer));
}

AddressPool::AddressPool(PoolOptions options, AddressSpace space, NodeId self, NodeId peer)
    : options_(std::move(options)),
      table_("pool/" + options_.name),
      space_(std::move(space)),
      shares_(options_.share, space_.size(), self, peer),
      has_peer_(peer != 0),
      pair_(peer == 0 ? std::string("alone")
                      : fmt::format("{}-{}", std::min(self, peer), std::max(self, peer))),
      index_(std::make_shared<LeaseIndex>(&space_, &shares_)),
      merge_(std::make_shared<MergeState>(
          MergeState{options_.name, space_, shares_, self, peer, 0, {}})) {}

uint64_t AddressPool::settings_digest() const {
  // The pair's ids too: a node that thinks it is alone (whole pool) must not pair with one that
  // shares.
  std::string text = fmt::format("{}|{}|{}|{}|{}|{}", options_.name, space_.Canonical(),
                                 options_.lease_time.count(), options_.grace.count(),
                                 ShareRuleName(options_.share), pair_);
  return XXH3_64bits(text.data(), text.size());
}

MergeFunction AddressPool::merge_function() const {
  return [state = merge_](const MergeRecord& local, const MergeRecord& incoming) {
    return MergeLeases(*state, local, incoming);
  };
}

PoolScope AddressPool::Scope(const core::Node& node) const {
  return ScopeOf(node.role(), node.reconciling(), node.peer(), has_peer_, partner_down_);
}

std::optional<PoolReply> AddressPool::Request(core::Node& node, PoolClock clock, PoolOp op,
                                              std::string_view client, std::string_view address,
                                              uint64_t token) {
  if (Status s = CheckClientId(client); !s.ok()) return PoolReply{token, s, {}};
  Attach(node);
  NotePeer(node);
  const PoolScope scope = Scope(node);
  if (scope == PoolScope::kNone) {
    return PoolReply{
        token, NotActive(fmt::format("node {} is not active", node.config().node_id)), {}};
  }
  Waiting request{op, std::string(client), std::string(address), token,
                  clock.now + node.config().postpone_timeout};
  // Renewals go on during a reconciliation, as the core's kUpdate writes do, within this
  // node's own share; the pool cannot know the merged state of the peer's share yet.
  if (scope == PoolScope::kWaiting && op != PoolOp::kRenew) {
    if (waiting_.size() >= node.config().max_postponed_writes) {
      ++counters_.wait_failed;
      return PoolReply{
          token, Unavailable("too many pool requests wait for the reconciliation"), {}};
    }
    ++counters_.waited;
    waiting_.push_back(std::move(request));
    return std::nullopt;
  }
  if (scope != PoolScope::kWaiting) RunWaiting(node, clock, scope);  // earlier requests first
  return Serve(node, clock, scope == PoolScope::kWaiting ? PoolScope::kOwnShare : scope, request);
}

std::optional<PoolReply> AddressPool::Serve(core::Node& node, PoolClock clock, PoolScope scope,
                                            const Waiting& request) {
  switch (request.op) {
    case PoolOp::kAllocate:
      return Allocate(node, clock, scope, request);
    case PoolOp::kRenew:
      return Renew(node, clock, scope, request);
    case PoolOp::kRelease:
      return Release(node, clock, request);
  }
  return PoolReply{request.token, InvalidArgument("unknown pool operation"), {}};
}

std::optional<PoolReply> AddressPool::Allocate(core::Node& node, PoolClock clock, PoolScope scope,
                                               const Waiting& request) {
  const uint64_t lease_end = clock.wall_ms + SecondsToMs(options_.lease_time);
  if (std::optional<uint64_t> held = index_->FindClient(request.client)) {
    const IndexedLease& lease = *index_->Find(*held);
    if (scope == PoolScope::kWholePool || shares_.Owns(*held)) {
      IndexedLease extended{lease.client, LeaseState::kLeased, lease.granted_ms, lease_end};
      return Grant(node, clock, *held, std::move(extended), request, false);
    }
    // The peer's share, which this node may not extend now: the lease stands as it is while
    // it lasts, if the peer holds it as it is; otherwise the client moves to this node's share.
    if (StandsAsIs(*held, lease, clock)) {
      return PoolReply{request.token, Status::Ok(), ToLease(*held, lease, false)};
    }
  }
  std::optional<uint64_t> free = index_->FindFree(true);
  if (!free && scope == PoolScope::kWholePool) free = index_->FindFree(false);
  if (!free) {
    ++counters_.exhausted;
    return PoolReply{request.token, ExhaustedError(scope), {}};
  }
  IndexedLease lease{request.client, LeaseState::kLeased, clock.wall_ms, lease_end};
  return Grant(node, clock, *free, std::move(lease), request, true);
}

bool AddressPool::StandsAsIs(uint64_t ordinal, const IndexedLease& lease, PoolClock clock) const {
  if (lease.state != LeaseState::kLeased || lease.expires_ms <= clock.wall_ms) return false;
  // A grant or renewal in the peer's share that the peer never acknowledged may not be known
  // to it, and the peer is the only node that may reuse the address now.
  return !unconfirmed_.contains(ordinal);
}

std::optional<PoolReply> AddressPool::Renew(core::Node& node, PoolClock clock, PoolScope scope,
                                            const Waiting& request) {
  std::optional<uint64_t> ordinal = space_.OrdinalOf(request.address);
  if (!ordinal) {
    return PoolReply{request.token,
                     InvalidArgument(fmt::format("\"{}\" is not an address of pool {}",
                                                 request.address, options_.name)),
                     {}};
  }
  const IndexedLease* lease = index_->Find(*ordinal);
  if (lease == nullptr || lease->client != request.client) {
    ++counters_.refused;
    return PoolReply{request.token,
                     NotFound(fmt::format("client {} holds no lease of {}: allocate again",
                                          request.client, request.address)),
                     {}};
  }
  if (scope == PoolScope::kWholePool || shares_.Owns(*ordinal)) {
    IndexedLease extended{lease->client, LeaseState::kLeased, lease->granted_ms,
                          clock.wall_ms + SecondsToMs(options_.lease_time)};
    return Grant(node, clock, *ordinal, std::move(extended), request, false);
  }
  if (StandsAsIs(*ordinal, *lease, clock)) {
    return PoolReply{request.token, Status::Ok(), ToLease(*ordinal, *lease, false)};
  }
  ++counters_.refused;
  return PoolReply{request.token,
                   NotFound(fmt::format("the lease of {} has ended and is in the peer's share, "
                                        "which this node cannot extend while the peer is "
                                        "unreachable: allocate again",
                                        request.address)),
                   {}};
}

std::optional<PoolReply> AddressPool::Release(core::Node& node, PoolClock clock,
                                              const Waiting& request) {
  std::optional<uint64_t> ordinal = space_.OrdinalOf(request.address);
  const IndexedLease* lease = ordinal ? index_->Find(*ordinal) : nullptr;
  if (lease == nullptr || lease->client != request.client || lease->state != LeaseState::kLeased) {
    ++counters_.refused;
    return PoolReply{request.token,
                     NotFound(fmt::format("client {} holds no lease of {} in pool {}",
                                          request.client, request.address, options_.name)),
                     {}};
  }
  // With a peer, reserved until the lease's own end, then the grace: a peer that did not hear
  // of the release (partitioned from here) may answer the lease as it stands until that end.
  const uint64_t from = has_peer_ ? std::max(clock.wall_ms, lease->expires_ms) : clock.wall_ms;
  IndexedLease released{lease->client, LeaseState::kReleased, lease->granted_ms,
                        from + SecondsToMs(options_.grace)};
  Lease reply = ToLease(*ordinal, released, false);
  core::WriteOutcome outcome = Write(node, clock, *ordinal, released, DurabilityOf(node, false),
                                     WriteIntent::kRelease, request.token);
  if (!outcome.status.ok()) return PoolReply{request.token, outcome.status, {}};
  ++counters_.released;
  if (outcome.pending) {
    pending_.emplace(request.token, Pending{std::move(reply), *ordinal, false, std::nullopt});
    return std::nullopt;
  }
  return PoolReply{request.token, Status::Ok(), std::move(reply)};
}

std::optional<PoolReply> AddressPool::Grant(core::Node& node, PoolClock clock, uint64_t ordinal,
                                            IndexedLease lease, const Waiting& request,
                                            bool new_address) {
  const bool peer_share = !shares_.Owns(ordinal);
  std::optional<IndexedLease> previous;
  if (const IndexedLease* before = index_->Find(ordinal)) previous = *before;
  Lease reply = ToLease(ordinal, lease, !new_address);
  core::WriteOutcome outcome =
      Write(node, clock, ordinal, lease, DurabilityOf(node, peer_share),
            new_address ? WriteIntent::kAllocate : WriteIntent::kUpdate, request.token);
  if (!outcome.status.ok()) return PoolReply{request.token, outcome.status, {}};
  ++(new_address ? counters_.allocated : counters_.renewed);
  if (outcome.pending) {
    if (peer_share) unconfirmed_[ordinal] = request.token;
    pending_.emplace(request.token,
                     Pending{std::move(reply), ordinal, peer_share, std::move(previous)});
    return std::nullopt;
  }
  return PoolReply{request.token, Status::Ok(), std::move(reply)};
}

core::WriteOutcome AddressPool::Write(core::Node& node, PoolClock clock, uint64_t ordinal,
                                      const std::optional<IndexedLease>& lease,
                                      Durability durability, WriteIntent intent, uint64_t token) {
  const std::string key = space_.TextAt(ordinal);
  if (!lease) return node.Erase(clock.now, table_, key, durability, token, intent);
  EncodeLease({lease->state, lease->granted_ms, lease->expires_ms, lease->client}, &value_);
  return node.Put(clock.now, table_, key, value_, durability, token, intent);
}

Durability AddressPool::DurabilityOf(const core::Node& node, bool peer_share_grant) const {
  // Without a following standby there is nothing to wait for; a grant in the peer's share
  // then only happens under partner-down, where the operator vouched that the peer is gone.
  if (!node.replicates()) return Durability::kAsync;
  return peer_share_grant ? Durability::kReplicated : options_.durability;
}

Status AddressPool::ExhaustedError(PoolScope scope) const {
  const uint64_t size = space_.size();
  const uint64_t free = size - index_->held_in(true) - index_->held_in(false);
  if (scope == PoolScope::kWholePool) {
    return Exhausted(fmt::format("pool {}: all {} addresses are held", options_.name, size));
  }
  return Exhausted(fmt::format(
      "pool {}: every address of this node's share ({} addresses) is held; {} of the pool's {} "
      "are free in the peer's share, which this node may not allocate from while the peer is "
      "unreachable, rejoining or active (declare it down with partner-down if it is)",
      options_.name, shares_.own().count, free, size));
}

bool AddressPool::IndexFollows(const core::Node& node) const {
  const store::Table* table = node.store().Find(table_);
  return table != nullptr && table->ObservedBy(index_.get());
}

void AddressPool::SyncIndex(const core::Node& node) {
  if (IndexFollows(node)) return;  // it hears of every change
  // Not attached to this node (a read before any request): read the table as it stands.
  index_->Rebuild(node.store().Find(table_));
  ++counters_.rebuilds;
}

void AddressPool::Attach(core::Node& node) {
  if (IndexFollows(node)) return;
  if (Status s = node.ObserveTable(table_, index_); !s.ok()) {
    log_.push_back(
        fmt::format("pool {}: cannot follow table {}: {}", options_.name, table_, s.message()));
  }
  index_->Rebuild(node.store().Find(table_));
  ++counters_.rebuilds;
}

bool AddressPool::OnWriteCompleted(const core::WriteCompleted& done) {
  if (done.token == 0) return true;
  auto it = pending_.find(done.token);
  if (it == pending_.end()) return false;
  Status status = done.status;
  Pending& p = it->second;
  if (auto u = unconfirmed_.find(p.ordinal);
      status.ok() && u != unconfirmed_.end() && u->second == done.token) {
    unconfirmed_.erase(u);
  }
  // Undone: a grant of an address the client did not hold as a live lease. A failed renewal
  // of a live lease stays (rewriting the old end would be a grant in the peer's share); the
  // owner's record wins the merge for the same client.
  const bool undo = p.peer_share && !(p.previous && p.previous->state == LeaseState::kLeased &&
                                      p.previous->client == p.lease.client);
  if (!status.ok() && undo) {
    status = Status::Error(
        status.code(),
        fmt::format("the lease of {} (the peer's share) was not confirmed by the peer ({}); it is "
                    "withdrawn: allocate again",
                    p.lease.address, status.message()));
    withdraw_.push_back(
        {p.ordinal,
         {p.lease.client, LeaseState::kLeased, p.lease.granted_ms, p.lease.expires_ms},
         std::move(p.previous)});
  } else if (!status.ok()) {
    status = Status::Error(
        status.code(),
        fmt::format("the lease of {} was written on this node but not confirmed ({}); it stays "
                    "reserved for the client",
                    p.lease.address, status.message()));
  }
  replies_.push_back({done.token, status, status.ok() ? std::move(p.lease) : Lease{}});
  pending_.erase(it);
  return true;
}

}  // namespace hasync::pool
