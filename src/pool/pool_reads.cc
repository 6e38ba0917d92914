// AddressPool's replies and reads: lookups, listing, usage, partner-down.
#include <utility>

#include "fmt/format.h"
#include "pool/pool.h"

namespace hasync::pool {

void AddressPool::Reply(uint64_t token, Status status, Lease lease) {
  replies_.push_back({token, std::move(status), std::move(lease)});
}

std::vector<PoolReply> AddressPool::TakeReplies() { return std::exchange(replies_, {}); }

std::vector<std::string> AddressPool::TakeLog() {
  std::vector<std::string> lines = std::exchange(log_, {});
  for (std::string& line : merge_->log) lines.push_back(std::move(line));
  merge_->log.clear();
  return lines;
}

Lease AddressPool::ToLease(uint64_t ordinal, const IndexedLease& lease, bool extended) const {
  return Lease{space_.TextAt(ordinal), lease.client,          lease.state, lease.granted_ms,
               lease.expires_ms,       shares_.Owns(ordinal), extended};
}

Result<Lease> AddressPool::LookupClient(const core::Node& node, std::string_view client) {
  SyncIndex(node);
  std::optional<uint64_t> ordinal = index_->FindClient(client);
  if (!ordinal) {
    return NotFound(fmt::format("client {} holds no address of pool {}", client, options_.name));
  }
  return ToLease(*ordinal, *index_->Find(*ordinal), false);
}

Result<Lease> AddressPool::LookupAddress(const core::Node& node, std::string_view address) {
  SyncIndex(node);
  std::optional<uint64_t> ordinal = space_.OrdinalOf(address);
  if (!ordinal) {
    return InvalidArgument(
        fmt::format("\"{}\" is not an address of pool {}", address, options_.name));
  }
  const IndexedLease* lease = index_->Find(*ordinal);
  if (lease == nullptr) return NotFound(fmt::format("{} is free", address));
  return ToLease(*ordinal, *lease, false);
}

std::vector<Lease> AddressPool::List(const core::Node& node, std::string_view from, size_t limit) {
  SyncIndex(node);
  uint64_t start = 0;
  if (!from.empty()) start = space_.OrdinalOf(from).value_or(0);
  std::vector<Lease> leases;
  for (auto it = index_->held().lower_bound(start);
       it != index_->held().end() && leases.size() < limit; ++it) {
    leases.push_back(ToLease(it->first, it->second, false));
  }
  return leases;
}

PoolUsage AddressPool::Usage(const core::Node& node) {
  SyncIndex(node);
  NotePeer(node);
  PoolUsage u;
  u.size = space_.size();
  const uint64_t held = index_->held_in(true) + index_->held_in(false);
  u.leased = index_->leased();
  u.reserved = held - u.leased;
  u.free = u.size - held;
  u.own_share_size = shares_.own().count;
  u.own_share_free = u.own_share_size - index_->held_in(true);
  u.outside = index_->outside();
  u.scope = Scope(node);
  u.partner_down = partner_down_;
  u.duplicates = merge_->duplicates;
  return u;
}

Status AddressPool::DeclarePartnerDown(const core::Node& node) {
  if (node.role() != Role::kActive) {
    return NotActive(fmt::format("node {} is not active", node.config().node_id));
  }
  if (!has_peer_) return InvalidArgument("this node has no peer");
  if (node.peer().connected) return Unavailable("the peer is connected");
  if (!partner_down_) {
    partner_down_ = true;
    ++counters_.partner_down;
    log_.push_back(fmt::format(
        "pool {}: the operator declared the peer down; allocating from the whole pool until it "
        "connects again",
        options_.name));
  }
  return Status::Ok();
}

}  // namespace hasync::pool
