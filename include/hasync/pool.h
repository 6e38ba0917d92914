// hasync::Pool: an IP address pool shared by the two nodes of a pair, that never hands one
// address to two clients, even while a split-brain leaves both nodes active (seed 000, blocks
// 1005-1015; docs/pools.md).
//
// Leases are replicated records of table "pool/<name>", keyed by the address, so they survive
// a failover and meet in the reconciliation after a split-brain. Each node owns a share of the
// pool (odd/even ordinals, or halves; the lower node id owns the even ordinals or the first
// half). What the active may hand out depends on what it knows of its peer:
//  - the peer is its standby and holds everything (or there is no peer, or the operator
//    declared it down): the whole pool, its own share first; a lease in the peer's share is
//    granted only once the standby has acknowledged it, whatever the pool's durability;
//  - the peer is unreachable, rejoining or itself active: its own share only; leases in the
//    peer's share are answered as they stand, never extended or handed out again;
//  - the pair is reconciling: allocations and releases wait until it is over.
// So whichever way a partition went, the two sides never draw from the same addresses, and
// the owner of a share always knows every lease any client holds in it. A duplicate can only
// come from a wrong "partner down" or a change of pool configuration; the merge then keeps
// one lease (docs/pools.md says which), counts the duplicate and logs both clients.
//
// Stickiness: a client keeps its address while its lease lasts, and gets it back during the
// grace period after the lease was released or expired. Only the active expires leases.
// The store is in memory: a restart of both nodes forgets every lease.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/status.h"
#include "hasync/types.h"

namespace hasync {

class Replica;

// How the two nodes divide a pool's addresses, by ordinal (the address's position in the
// pool: ranges in configuration order, excluded addresses skipped).
enum class ShareRule : uint8_t {
  kOddEven = 0,  // the lower node id owns the even ordinals
  kHalves = 1,   // the lower node id owns the first half (the larger one when odd)
};

struct PoolOptions {
  std::string name;  // 1..64 of [A-Za-z0-9_.-]; the leases go to table "pool/<name>"
  // CIDR prefixes ("10.0.0.0/24": every address, network and broadcast included), ranges
  // ("10.0.1.10-10.0.1.50") or single addresses; one family per pool, no overlaps.
  std::vector<std::string> ranges;
  std::vector<std::string> exclude;  // same syntax
  std::chrono::seconds lease_time{3600};
  // How long a released or expired lease stays reserved for its client. It also absorbs the
  // clock offset between the nodes (an address is reused grace after its lease's end by the
  // reclaiming node's clock): at least 1 s, and more than the nodes' clocks may differ.
  std::chrono::seconds grace{600};
  ShareRule share = ShareRule::kOddEven;
  // When Allocate/Renew/Release return: kReplicated (the default) once the standby holds the
  // lease, so no single failure loses it; kAsync once applied here: faster, but a crash of the
  // active within the replication delay can lose a lease it granted, and that address can then
  // be granted again. Leases in the peer's share are always replicated. While no standby
  // follows (the peer is unreachable) there is nowhere else to hold a lease: both answer once
  // it is written here (docs/pools.md, "What is not covered").
  Durability durability = Durability::kReplicated;
};

enum class LeaseState : uint8_t {
  kLeased = 1,    // held by the client until expires_ms
  kReleased = 2,  // released by the client; reserved for it until expires_ms (grace end)
  kExpired = 3,   // ran out; reserved for the client until expires_ms (grace end)
};

struct Lease {
  std::string address;  // canonical text ("10.0.0.7", "2001:db8::7")
  std::string client;
  LeaseState state = LeaseState::kLeased;
  uint64_t granted_ms = 0;  // when this client got this address (renewals keep it)
  uint64_t expires_ms = 0;  // lease end, or grace end for a released or expired lease
  bool own_share = false;   // in this node's share
  // Renew and sticky Allocate: the lease was extended. False when this node may not extend it
  // (the peer's share while the peer is unreachable): it stands until expires_ms.
  bool extended = false;
};

// What a node may allocate from right now (see the top of this file).
enum class PoolScope : uint8_t {
  kNone = 0,       // not the active node
  kWaiting = 1,    // reconciling: allocations and releases wait
  kOwnShare = 2,   // the peer is unreachable, rejoining or active
  kWholePool = 3,  // the peer is an in-sync standby, there is none, or it was declared down
};
std::string_view PoolScopeName(PoolScope scope);
std::string_view LeaseStateName(LeaseState state);
std::string_view ShareRuleName(ShareRule rule);

struct PoolUsage {
  uint64_t size = 0;  // addresses in the pool
  uint64_t leased = 0;
  uint64_t reserved = 0;  // released or expired, within their grace period
  uint64_t free = 0;
  uint64_t own_share_size = 0;
  uint64_t own_share_free = 0;
  uint64_t outside = 0;  // records whose address is not in the pool (its ranges changed)
  PoolScope scope = PoolScope::kNone;
  bool partner_down = false;
  uint64_t duplicates = 0;  // leases a merge found given to two clients (hasync_pool_duplicates)
};

// A pool of a Replica. Every method is thread-safe, as Replica's are.
class Pool {
 public:
  // Registers the pool with `replica`, before Start/Run (kUnavailable after). Install the same
  // pools, with the same options, on both nodes: they are part of the settings the two nodes
  // compare when they connect. Errors: kInvalidArgument (the options).
  static Result<std::unique_ptr<Pool>> Create(Replica& replica, PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Leases an address to `client` (1..255 bytes): its current one if it has one (extended),
  // or the one it held within the grace period, or a free one. Errors: kNotActive,
  // kExhausted (nothing free in what this node may allocate from: the message says which
  // share and how much of the pool is free), kTimeout (the reconciliation outlasted the
  // wait), kNotReplicated (written here, not acknowledged: the address stays reserved for the
  // client, and a retry returns it).
  Result<Lease> Allocate(std::string_view client);
  // Extends `client`'s lease of `address` (one it released or let expire too, within the grace
  // period). kNotFound if no record of the address names the client, or if the address is in
  // the peer's share, this node may not extend it now, and the lease has ended or the peer may
  // not know it (a DHCP NAK: allocate again).
  Result<Lease> Renew(std::string_view client, std::string_view address);
  // Ends `client`'s lease of `address`; the address stays reserved for it for the grace period.
  Status Release(std::string_view client, std::string_view address);
  Result<Lease> LookupClient(std::string_view client);
  Result<Lease> LookupAddress(std::string_view address);
  // Leases in ordinal order, from the first address at or after `from` (empty: the start).
  Result<std::vector<Lease>> List(std::string_view from, size_t limit);
  Result<PoolUsage> Usage();
  // The operator's word that the peer is down (Kea's partner-down): this node allocates from
  // the whole pool until the peer connects again. kUnavailable while the peer is connected.
  Status DeclarePartnerDown();

 private:
  class Impl;
  explicit Pool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hasync
