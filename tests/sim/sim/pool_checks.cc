// The checks of PoolClients (definitions in pool_clients.h): pool_served's deadline,
// pool_store_unique at a quiet window's convergence, and pool_scope around every call into a
// pool. pool_unique is checked as answers arrive (pool_clients.cc).
#include <cstdlib>

#include "fmt/format.h"
#include "pool/lease.h"
#include "sim/pool_clients.h"
#include "sim/world.h"

namespace hasync::sim {

using core::Duration;
using core::TimePoint;

void PoolClients::CheckPending() {
  if (dues_.empty()) return;
  World& w = *w_;
  const auto [due, token] = *dues_.begin();
  if (w.now() <= due) return;
  const Request& r = requests_.at(token);
  w.Fail("pool_served",
         fmt::format("{}'s {} of {} tok={} sent to {} at {}s had no answer at {}s",
                     clients_[r.client].id, pool::PoolOpName(r.op),
                     r.address.empty() ? "an address" : r.address, token - kPoolTokenBase,
                     NodeName(r.slot), Trace::Time(r.sent), Trace::Time(w.now())));
}

void PoolClients::CheckConverged(int active) {
  if (!on() || pools_[active] == nullptr) return;
  World& w = *w_;
  const TimePoint now = w.now();
  const store::Table* table = w.node(active).store().Find(pools_[active]->table());
  std::string bad;
  if (table != nullptr) {
    table->ForEach([&](const store::RecordView& r) {
      if (!bad.empty()) return;
      if (!space_->OrdinalOf(r.key)) {
        bad = fmt::format("a record of {}, which is not an address of the pool", r.key);
      } else if (!pool::DecodeLease(r.value).ok()) {
        bad = fmt::format("a record of {} that does not decode", r.key);
      }
    });
  }
  if (!bad.empty())
    return w.Fail("pool_store_unique", fmt::format("{} holds {}", NodeName(active), bad));
  const Duration spread =
      std::chrono::milliseconds(std::abs(w.setup().skew_ms[0] - w.setup().skew_ms[1]));
  for (const Client& c : clients_) {
    for (const auto& [address, h] : c.held) {
      if (h.releasing) continue;
      // The guarantee still standing: the last answer's, or the earlier one it extended.
      const bool last = h.keepers != 0;
      const TimePoint until = last ? h.until : h.floor_until;
      const uint8_t keepers = last ? h.keepers : h.floor_keepers;
      if (keepers == 0 || until <= now || Uncovered(address)) continue;
      const std::string holding =
          fmt::format("{} holds {} until {}s (answered by {}, kept by {})", c.id, address,
                      Trace::Time(until), NodeName(h.replier), Keepers(keepers));
      const std::optional<store::RecordView> record =
          table != nullptr ? table->Get(address) : std::nullopt;
      if (!record) {
        return w.Fail("pool_store_unique",
                      fmt::format("{}, but the converged active {} has no record of it", holding,
                                  NodeName(active)));
      }
      const Result<pool::LeaseRecord> lease = pool::DecodeLease(record->value);
      // Leased: until its end; released or expired: reserved for the client until the end of
      // its grace. By the writer's clock (an expired record's end was set by its granter's:
      // the spread covers the difference).
      const TimePoint end = TrueTime(static_cast<int>(record->origin) - 1, lease->expires_ms);
      std::string wrong;
      if (lease->client != c.id) {
        wrong = fmt::format("names client {}", lease->client);
      } else if (lease->state == LeaseState::kReleased && !c.released.contains(address)) {
        wrong = "is released, but the client never released it";
      } else if (end + spread < until) {
        wrong = fmt::format("is {} for it only until {}s", LeaseStateName(lease->state),
                            Trace::Time(end));
      }
      if (!wrong.empty()) {
        return w.Fail("pool_store_unique",
                      fmt::format("{}, but the converged active {}'s record of it {} (written by "
                                  "n{})",
                                  holding, NodeName(active), wrong, record->origin));
      }
    }
  }
}

void PoolClients::BeforePoolCall(int slot, core::Node& node, bool tick) {
  // The pool's own partner-down ends at a Tick that finds the peer connected.
  if (tick && partner_down_[slot] && node.peer().connected) partner_down_[slot] = false;
  ScopeView& view = views_[slot];
  view.scope =
      pool::ScopeOf(node.role(), node.reconciling(), node.peer(), true, partner_down_[slot]);
  if (view.scope == PoolScope::kWholePool) return;
  const store::Table* table = node.store().Find(pools_[slot]->table());
  const uint64_t digest = table != nullptr ? table->digest() : 0;
  if (digest != view.digest) ReadPeerShare(slot, node, &view);
}

void PoolClients::AfterPoolCall(int slot, core::Node& node) {
  ScopeView& view = views_[slot];
  if (view.scope == PoolScope::kWholePool) {
    view.digest = ~uint64_t{0};  // whatever the pool wrote, the view must be read again
    return;
  }
  const store::Table* table = node.store().Find(pools_[slot]->table());
  if ((table != nullptr ? table->digest() : 0) == view.digest) return;
  ScopeView after;
  ReadPeerShare(slot, node, &after);
  for (const auto& [ordinal, lease] : after.leased) {
    auto before = view.leased.find(ordinal);
    if (before != view.leased.end() && before->second == lease) continue;
    return w_->Fail("pool_scope",
                    fmt::format("{} (scope {}) wrote a lease of {}, in {}'s share, to {} until {} "
                                "ms",
                                NodeName(slot), PoolScopeName(view.scope), space_->TextAt(ordinal),
                                NodeName(1 - slot), lease.first, lease.second));
  }
  view.leased = std::move(after.leased);
  view.digest = after.digest;
}

void PoolClients::ReadPeerShare(int slot, const core::Node& node, ScopeView* view) const {
  view->leased.clear();
  const store::Table* table = node.store().Find(pools_[slot]->table());
  view->digest = table != nullptr ? table->digest() : 0;
  if (table == nullptr) return;
  table->ForEach([&](const store::RecordView& r) {
    const std::optional<uint64_t> ordinal = space_->OrdinalOf(r.key);
    if (!ordinal || shares_[slot]->Owns(*ordinal)) return;
    const Result<pool::LeaseRecord> lease = pool::DecodeLease(r.value);
    if (lease.ok() && lease->state == LeaseState::kLeased) {
      view->leased.emplace(*ordinal, std::make_pair(std::string(lease->client), lease->expires_ms));
    }
  });
}

}  // namespace hasync::sim
