#include "pool/lease_index.h"

#include <algorithm>

namespace hasync::pool {

void LeaseIndex::Rebuild(const store::Table* table) {
  held_.clear();
  by_client_.clear();
  deadlines_ = {};
  deferred_.clear();
  own_held_ = peer_held_ = leased_ = outside_ = 0;
  if (table == nullptr) return;
  table->ForEach([this](const store::RecordView& r) { OnLive(r.key, r.value); });
}

void LeaseIndex::OnLive(std::string_view key, std::string_view value) {
  std::optional<uint64_t> ordinal = space_->OrdinalOf(key);
  if (!ordinal) {
    ++outside_;
    return;
  }
  // Undecodable: held by nobody known, its reservation over, so the next sweep frees it.
  IndexedLease lease{{}, LeaseState::kExpired, 0, 0};
  if (Result<LeaseRecord> decoded = DecodeLease(value); decoded.ok()) {
    lease = {std::string(decoded->client), decoded->state, decoded->granted_ms,
             decoded->expires_ms};
  }
  Set(*ordinal, std::move(lease));
}

void LeaseIndex::OnGone(std::string_view key) {
  std::optional<uint64_t> ordinal = space_->OrdinalOf(key);
  if (!ordinal) {
    if (outside_ > 0) --outside_;
    return;
  }
  Erase(*ordinal);
}

void LeaseIndex::Set(uint64_t ordinal, IndexedLease lease) {
  Erase(ordinal);
  Count(lease, ordinal, +1);
  by_client_.emplace(lease.client, ordinal);
  PushDeadline(ordinal, lease.expires_ms);
  held_.emplace(ordinal, std::move(lease));
}

void LeaseIndex::Erase(uint64_t ordinal) {
  auto it = held_.find(ordinal);
  if (it == held_.end()) return;
  Count(it->second, ordinal, -1);
  auto [first, last] = by_client_.equal_range(it->second.client);
  for (auto c = first; c != last; ++c) {
    if (c->second == ordinal) {
      by_client_.erase(c);
      break;
    }
  }
  held_.erase(it);
}

void LeaseIndex::Count(const IndexedLease& lease, uint64_t ordinal, int delta) {
  uint64_t& share = shares_->Owns(ordinal) ? own_held_ : peer_held_;
  share += static_cast<uint64_t>(delta);
  if (lease.state == LeaseState::kLeased) leased_ += static_cast<uint64_t>(delta);
}

const IndexedLease* LeaseIndex::Find(uint64_t ordinal) const {
  auto it = held_.find(ordinal);
  return it == held_.end() ? nullptr : &it->second;
}

std::optional<uint64_t> LeaseIndex::FindClient(std::string_view client) const {
  std::optional<uint64_t> best;
  auto rank = [this](uint64_t ordinal) {
    const IndexedLease& l = held_.at(ordinal);
    return std::make_pair(l.state == LeaseState::kLeased, l.expires_ms);
  };
  auto [first, last] = by_client_.equal_range(std::string(client));
  for (auto it = first; it != last; ++it) {
    if (!best || rank(it->second) > rank(*best)) best = it->second;
  }
  return best;
}

std::optional<uint64_t> LeaseIndex::FindFree(bool own) {
  const Share share = own ? shares_->own() : shares_->peer();
  if (held_in(own) >= share.count) return std::nullopt;
  uint64_t& cursor = cursor_[own ? 0 : 1];
  // A free address exists, so this ends within share.count steps; usually at once, since the
  // walk resumes after the last address it handed out.
  for (uint64_t steps = 0; steps < share.count; ++steps) {
    if (cursor >= share.count) cursor = 0;
    uint64_t ordinal = share.OrdinalAt(cursor++);
    if (!held_.contains(ordinal)) return ordinal;
  }
  return std::nullopt;
}

void LeaseIndex::PushDeadline(uint64_t ordinal, uint64_t deadline) {
  deadlines_.emplace(deadline, ordinal);
  // Every renewal leaves its old deadline behind; keep the stale ones bounded.
  if (deadlines_.size() > 4 * held_.size() + 1024) CompactDeadlines();
}

void LeaseIndex::CompactDeadlines() {
  std::vector<Deadline> live;
  live.reserve(held_.size());
  for (const auto& [ordinal, lease] : held_) live.emplace_back(lease.expires_ms, ordinal);
  deadlines_ = decltype(deadlines_)(std::greater<>(), std::move(live));
  deferred_.clear();
}

void LeaseIndex::PopDue(uint64_t wall_ms, size_t limit, bool own_only, std::vector<uint64_t>* out) {
  while (out->size() < limit && !deadlines_.empty() && deadlines_.top().first <= wall_ms) {
    auto [deadline, ordinal] = deadlines_.top();
    deadlines_.pop();
    // A lease written twice with the same end left the same entry twice: handing the ordinal
    // out twice would expire it and reclaim it in one sweep, skipping its grace.
    while (!deadlines_.empty() && deadlines_.top() == Deadline{deadline, ordinal}) {
      deadlines_.pop();
    }
    const IndexedLease* lease = Find(ordinal);
    if (lease == nullptr || lease->expires_ms != deadline) continue;  // stale
    if (own_only && !shares_->Owns(ordinal)) {
      deferred_.push_back(ordinal);
      continue;
    }
    out->push_back(ordinal);
  }
}

void LeaseIndex::Requeue(uint64_t ordinal) {
  if (const IndexedLease* lease = Find(ordinal)) deadlines_.emplace(lease->expires_ms, ordinal);
}

void LeaseIndex::RestoreDeferred() {
  for (uint64_t ordinal : deferred_) {
    if (const IndexedLease* lease = Find(ordinal)) deadlines_.emplace(lease->expires_ms, ordinal);
  }
  deferred_.clear();
}

}  // namespace hasync::pool
