// AddressPool: one address pool of a node, free of I/O like the core it drives (the daemon,
// hasync::Pool and the simulator all run this same code).
//
// Requests come in with the core::Node they act on and the time; the pool decides from the
// node's role, its view of the peer and its reconciliation state what it may do (PoolScope,
// include/hasync/pool.h), writes lease records through node.Put/Erase, and answers at once or,
// for a write that waits for the standby, once the driver passes the node's WriteCompleted
// back (OnWriteCompleted; the answer then comes out of TakeReplies). Allocate and release wait
// in the pool, not in the core, while the pair reconciles: the address must be chosen after
// the merge, from what both nodes held, not before it.
//
// The driver calls Tick at least every kTickInterval, and soon after a role change or the end
// of a reconciliation (net/pool_service.cc; the simulator after every turn): it runs
// waiting requests once the reconciliation is over, times them out (the core's
// postpone_timeout and max_postponed_writes bound them), expires leases on the active and
// ends a partner-down once the peer is back. Every deadline is in wall-clock milliseconds,
// since leases are replicated and compared across nodes.
//
// Token 0 is the pool's own (the expiry sweep's writes, which never wait).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/node.h"
#include "hasync/merge.h"
#include "hasync/pool.h"
#include "pool/address_space.h"
#include "pool/lease_index.h"
#include "pool/merge.h"
#include "pool/share.h"

namespace hasync::pool {

inline constexpr std::chrono::milliseconds kTickInterval{100};
inline constexpr size_t kSweepBatch = 1024;  // leases expired per Tick at most

// Leases are stamped in wall-clock milliseconds.
inline uint64_t SecondsToMs(std::chrono::seconds s) {
  return static_cast<uint64_t>(s.count()) * 1000;
}

struct PoolClock {
  core::TimePoint now{0};
  uint64_t wall_ms = 0;
};

enum class PoolOp : uint8_t { kAllocate = 0, kRenew = 1, kRelease = 2 };
std::string_view PoolOpName(PoolOp op);

struct PoolReply {
  uint64_t token = 0;
  Status status;
  Lease lease;  // Allocate, Renew: the lease; Release: the released lease
};

struct PoolCounters {
  uint64_t allocated = 0;  // addresses handed to a client that did not hold them
  uint64_t renewed = 0;    // leases extended (renewals and sticky allocations)
  uint64_t released = 0;
  uint64_t expired = 0;       // leases the sweep ended
  uint64_t reclaimed = 0;     // addresses freed after their grace period
  uint64_t exhausted = 0;     // allocations refused: nothing free in scope
  uint64_t refused = 0;       // renewals and releases of a lease the client does not hold
  uint64_t waited = 0;        // requests that waited for a reconciliation
  uint64_t wait_failed = 0;   // ... and timed out or found the queue full
  uint64_t rebuilds = 0;      // the index re-read from the table
  uint64_t partner_down = 0;  // operator declarations
};

// Pure: what a node in this state may allocate from.
PoolScope ScopeOf(Role role, bool reconciling, const core::PeerView& peer, bool has_peer,
                  bool partner_down);

class AddressPool {
 public:
  // `self`, `peer`: the pair's node ids (peer 0: a node without a peer).
  static Result<std::unique_ptr<AddressPool>> Create(PoolOptions options, NodeId self, NodeId peer);
  AddressPool(const AddressPool&) = delete;
  AddressPool& operator=(const AddressPool&) = delete;

  const PoolOptions& options() const { return options_; }
  const std::string& table() const { return table_; }
  // A hash of everything both nodes must agree on (addresses, share rule, times).
  uint64_t settings_digest() const;
  // The table's merge function (merge.h), to install on the node.
  MergeFunction merge_function() const;

  // `client` and, for renew and release, `address`. The reply now, or nullopt: it comes later
  // with `token` from TakeReplies.
  std::optional<PoolReply> Request(core::Node& node, PoolClock clock, PoolOp op,
                                   std::string_view client, std::string_view address,
                                   uint64_t token);
  // Makes the pool's index follow `node`'s table (the table then tells it every change);
  // requests and ticks do it too, so calling it is optional, and it is done once per node.
  void Attach(core::Node& node);
  // A WriteCompleted of `node`: true if it was one of this pool's (its reply is then queued).
  bool OnWriteCompleted(const core::WriteCompleted& done);
  void Tick(core::Node& node, PoolClock clock);
  std::vector<PoolReply> TakeReplies();
  // Lines for the log (partner-down ended, duplicates merged, refused requests are not logged).
  std::vector<std::string> TakeLog();

  Result<Lease> LookupClient(const core::Node& node, std::string_view client);
  Result<Lease> LookupAddress(const core::Node& node, std::string_view address);
  std::vector<Lease> List(const core::Node& node, std::string_view from, size_t limit);
  PoolUsage Usage(const core::Node& node);
  Status DeclarePartnerDown(const core::Node& node);
  PoolScope Scope(const core::Node& node) const;
  const PoolCounters& counters() const { return counters_; }
  uint64_t duplicates() const { return merge_->duplicates; }
  size_t waiting() const { return waiting_.size(); }

 private:
  AddressPool(PoolOptions options, AddressSpace space, NodeId self, NodeId peer);

  struct Waiting {
    PoolOp op;
    std::string client;
    std::string address;
    uint64_t token;
    core::TimePoint deadline;
  };
  // The answer of a request the pool may serve now, in `scope`.
  std::optional<PoolReply> Serve(core::Node& node, PoolClock clock, PoolScope scope,
                                 const Waiting& request);
  std::optional<PoolReply> Allocate(core::Node& node, PoolClock clock, PoolScope scope,
                                    const Waiting& request);
  std::optional<PoolReply> Renew(core::Node& node, PoolClock clock, PoolScope scope,
                                 const Waiting& request);
  std::optional<PoolReply> Release(core::Node& node, PoolClock clock, const Waiting& request);
  // Writes `lease` at `ordinal` for `request`; the reply now or once acknowledged.
  std::optional<PoolReply> Grant(core::Node& node, PoolClock clock, uint64_t ordinal,
                                 IndexedLease lease, const Waiting& request, bool new_address);
  // Writes the record of `ordinal` (nullopt: erases it); the index hears of it from the table.
  core::WriteOutcome Write(core::Node& node, PoolClock clock, uint64_t ordinal,
                           const std::optional<IndexedLease>& lease, Durability durability,
                           WriteIntent intent, uint64_t token);
  // A peer-share lease this node may answer unchanged while it may not extend it.
  bool StandsAsIs(uint64_t ordinal, const IndexedLease& lease, PoolClock clock) const;
  Durability DurabilityOf(const core::Node& node, bool peer_share_grant) const;
  Status ExhaustedError(PoolScope scope) const;
  bool IndexFollows(const core::Node& node) const;  // the node's table tells the index
  // Reads: re-reads the table if the index does not follow it (no request came yet).
  void SyncIndex(const core::Node& node);
  // Ends a partner-down once the peer is connected again.
  void NotePeer(const core::Node& node);
  void RunWaiting(core::Node& node, PoolClock clock, PoolScope scope);
  void Sweep(core::Node& node, PoolClock clock, PoolScope scope);
  void Withdraw(core::Node& node, PoolClock clock);
  void Reply(uint64_t token, Status status, Lease lease = {});
  Lease ToLease(uint64_t ordinal, const IndexedLease& lease, bool extended) const;

  PoolOptions options_;
  std::string table_;
  AddressSpace space_;
  ShareMap shares_;
  bool has_peer_;
  std::string pair_;  // "1-2", or "alone": part of the settings digest
  // Follows the table (it observes it once attached), so it is shared with the table, which
  // holds it weakly.
  std::shared_ptr<LeaseIndex> index_;
  std::shared_ptr<MergeState> merge_;
  bool partner_down_ = false;
  std::deque<Waiting> waiting_;
  struct Pending {
    Lease lease;
    uint64_t ordinal = 0;
    // A grant or renewal in the peer's share: what the record held before (nullopt: none),
    // put back if the peer never acknowledges the write.
    bool peer_share = false;
    std::optional<IndexedLease> previous;
  };
  std::unordered_map<uint64_t, Pending> pending_;  // replies awaiting the standby, by token
  // Grants and renewals in the peer's share that the peer never acknowledged, to undo at the
  // next tick: the client was told no, and the owner may meanwhile reuse the address as it
  // knew it.
  struct Undo {
    uint64_t ordinal = 0;
    IndexedLease written;
    std::optional<IndexedLease> previous;
  };
  std::vector<Undo> withdraw_;
  // Peer-share addresses whose last grant or renewal here the peer has not acknowledged, with
  // that write's token: they are not answered "as they stand" outside the whole pool (the
  // peer may not know them) until a later write of theirs is acknowledged. Erring on the safe
  // side: an entry whose record the peer did get later (by a bulk sync) still refuses.
  std::unordered_map<uint64_t, uint64_t> unconfirmed_;
  std::vector<PoolReply> replies_;
  std::vector<std::string> log_;
  std::string value_;  // encoding buffer, reused
  PoolCounters counters_;
};

}  // namespace hasync::pool
