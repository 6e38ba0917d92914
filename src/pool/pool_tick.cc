// AddressPool's periodic work: partner-down's end, waiting requests, undoing unconfirmed
// grants, the expiry sweep (pool.h says when the driver ticks).
#include <utility>

#include "fmt/format.h"
#include "pool/pool.h"

namespace hasync::pool {

void AddressPool::NotePeer(const core::Node& node) {
  if (partner_down_ && node.peer().connected) {
    partner_down_ = false;
    log_.push_back(fmt::format("pool {}: the peer is back; partner-down ends", options_.name));
  }
}

void AddressPool::Tick(core::Node& node, PoolClock clock) {
  NotePeer(node);
  const PoolScope scope = Scope(node);
  Attach(node);
  if (scope == PoolScope::kNone) {
    RunWaiting(node, clock, scope);
    return;
  }
  if (scope == PoolScope::kWaiting) {
    while (!waiting_.empty() && waiting_.front().deadline <= clock.now) {
      ++counters_.wait_failed;
      Reply(waiting_.front().token, Timeout("the reconciliation outlasted the pool request"));
      waiting_.pop_front();
    }
    return;
  }
  if (scope == PoolScope::kWholePool) index_->RestoreDeferred();
  Withdraw(node, clock);
  std::erase_if(unconfirmed_, [&](const auto& entry) {  // the address was freed since
    return index_->Find(entry.first) == nullptr;
  });
  RunWaiting(node, clock, scope);
  Sweep(node, clock, scope);
}

void AddressPool::RunWaiting(core::Node& node, PoolClock clock, PoolScope scope) {
  while (!waiting_.empty()) {
    Waiting request = std::move(waiting_.front());
    waiting_.pop_front();
    if (scope == PoolScope::kNone) {
      Reply(request.token, NotActive(fmt::format("node {} lost the active role while the request "
                                                 "waited for the reconciliation",
                                                 node.config().node_id)));
      continue;
    }
    if (std::optional<PoolReply> reply = Serve(node, clock, scope, request)) {
      replies_.push_back(std::move(*reply));
    }
  }
}

void AddressPool::Sweep(core::Node& node, PoolClock clock, PoolScope scope) {
  std::vector<uint64_t> due;
  index_->PopDue(clock.wall_ms, kSweepBatch, scope != PoolScope::kWholePool, &due);
  for (uint64_t ordinal : due) {
    const IndexedLease* lease = index_->Find(ordinal);
    if (lease == nullptr) continue;
    const bool expire = lease->state == LeaseState::kLeased;
    std::optional<IndexedLease> next;
    if (expire) {
      next = IndexedLease{lease->client, LeaseState::kExpired, lease->granted_ms,
                          lease->expires_ms + SecondsToMs(options_.grace)};
    }
    core::WriteOutcome outcome = Write(node, clock, ordinal, next, Durability::kAsync,
                                       expire ? WriteIntent::kUpdate : WriteIntent::kRelease, 0);
    if (!outcome.status.ok() || outcome.postponed) {
      // Refused for now (a switchover in progress): the deadline must not be lost with it.
      index_->Requeue(ordinal);
      continue;
    }
    ++(expire ? counters_.expired : counters_.reclaimed);
  }
}

void AddressPool::Withdraw(core::Node& node, PoolClock clock) {
  for (Undo& w : std::exchange(withdraw_, {})) {
    const IndexedLease* now = index_->Find(w.ordinal);
    // Unless the record changed since (the client was granted it again, or a merge replaced
    // it), so that only the refused write is undone.
    if (now == nullptr || now->client != w.written.client ||
        now->expires_ms != w.written.expires_ms) {
      continue;
    }
    core::WriteOutcome outcome =
        Write(node, clock, w.ordinal, w.previous, Durability::kAsync, WriteIntent::kRelease, 0);
    if (!outcome.status.ok() || outcome.postponed) {
      withdraw_.push_back(std::move(w));  // refused for now (a switchover): the next tick
    }
  }
}

}  // namespace hasync::pool
