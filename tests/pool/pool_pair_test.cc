// AddressPool on both nodes of a pair: what the active may allocate from as its view of the peer
// changes (own share, whole pool, partner-down, reconciliation), replication of peer-share
// grants, and the standby's view of the leases.
#include "pool_pair.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pool/address_space.h"

namespace hasync::pool::testing {
namespace {

using ::testing::HasSubstr;

std::string Client(int i) { return "client-" + std::to_string(i); }

// The address's ordinal in "10.0.0.0/29" (its last octet): node 0 (id 1) owns the even ones.
uint64_t Ordinal(const Lease& lease) {
  return AddressSpace::Create(std::vector<std::string>{"10.0.0.0/29"}, {})
      .value()
      .OrdinalOf(lease.address)
      .value_or(99);
}

// Node 0 active with node 1 an in-sync standby, over 8 addresses.
struct Connected : PoolPair {
  explicit Connected(PoolOptions options = Options({"10.0.0.0/29"}),
                     core::CoreConfig a = core::testing::TestConfig(1, 200),
                     core::CoreConfig b = core::testing::TestConfig(2, 100))
      : PoolPair(std::move(options), true, std::move(a), std::move(b)) {
    StartConnected();
  }
  // Cuts the link until both nodes have declared the other dead: both are active.
  void Split() {
    pair().Partition(true);
    Run(300ms);
    EXPECT_EQ(node(0).role(), Role::kActive);
    EXPECT_EQ(node(1).role(), Role::kActive);
    EXPECT_FALSE(node(0).peer().connected);
  }
  void Heal() {
    pair().Partition(false);
    pair().Connect();
  }
};

TEST(PairedPool, PartitionedActiveAllocatesFromItsOwnShareOnly) {
  Connected p;
  p.Split();
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kOwnShare);
  EXPECT_EQ(p.pool(1).Scope(p.node(1)), PoolScope::kOwnShare);
  for (int i = 0; i < 4; ++i) {
    Lease zero = Granted(p.Allocate(0, "zero-" + std::to_string(i)));
    EXPECT_EQ(Ordinal(zero) % 2, 0u) << zero.address;
    EXPECT_TRUE(zero.own_share);
    Lease one = Granted(p.Allocate(1, "one-" + std::to_string(i)));
    EXPECT_EQ(Ordinal(one) % 2, 1u) << one.address;
    EXPECT_TRUE(one.own_share);
  }
  Result<Lease> fifth = p.Allocate(0, "zero-4");
  ASSERT_FALSE(fifth.ok());
  EXPECT_EQ(fifth.status().code(), Code::kExhausted);
  EXPECT_THAT(fifth.status().message(), HasSubstr("this node's share (4 addresses)"));
  PoolUsage u = p.pool(0).Usage(p.node(0));
  EXPECT_EQ(u.own_share_size, 4u);
  EXPECT_EQ(u.own_share_free, 0u);
  EXPECT_EQ(u.scope, PoolScope::kOwnShare);
}

TEST(PairedPool, ExhaustedShareSaysHowMuchOfThePeersShareIsFree) {
  Connected p;
  p.Split();
  for (int i = 0; i < 4; ++i) Granted(p.Allocate(0, Client(i)));
  Result<Lease> fifth = p.Allocate(0, Client(4));
  EXPECT_EQ(fifth.status().code(), Code::kExhausted);
  EXPECT_THAT(fifth.status().message(),
              HasSubstr("4 of the pool's 8 are free in the peer's share"));
  EXPECT_THAT(fifth.status().message(), HasSubstr("partner-down"));
}

TEST(PairedPool, HalvesGiveEachNodeOneHalfOfThePool) {
  Connected p(Options({"10.0.0.0/29"}, ShareRule::kHalves));
  p.Split();
  for (int i = 0; i < 4; ++i) {
    EXPECT_LT(Ordinal(Granted(p.Allocate(0, "zero-" + std::to_string(i)))), 4u);
    EXPECT_GE(Ordinal(Granted(p.Allocate(1, "one-" + std::to_string(i)))), 4u);
  }
  EXPECT_EQ(p.Allocate(0, "zero-4").status().code(), Code::kExhausted);
  EXPECT_EQ(p.Allocate(1, "one-4").status().code(), Code::kExhausted);
}

TEST(PairedPool, InSyncStandbyLetsTheActiveUseTheWholePoolOwnShareFirst) {
  Connected p;
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kWholePool);
  std::set<std::string> addresses;
  for (int i = 0; i < 8; ++i) {
    Lease lease = Granted(p.Allocate(0, Client(i)));
    EXPECT_EQ(Ordinal(lease) % 2, i < 4 ? 0u : 1u) << i << ": " << lease.address;
    EXPECT_EQ(lease.own_share, i < 4);
    EXPECT_TRUE(addresses.insert(lease.address).second);
  }
  Result<Lease> ninth = p.Allocate(0, Client(8));
  EXPECT_EQ(ninth.status().code(), Code::kExhausted);
  EXPECT_THAT(ninth.status().message(), HasSubstr("all 8 addresses are held"));
  EXPECT_EQ(p.Clients(1), p.Clients(0));  // the standby holds every lease
}

// Even with asynchronous durability a lease in the peer's share is granted only once the
// standby holds it: the peer may take over and must know every lease in its share.
TEST(PairedPool, PeerShareGrantIsAnsweredOnlyOnceTheStandbyAcknowledges) {
  PoolOptions options = Options({"10.0.0.0/29"});
  options.durability = Durability::kAsync;
  Connected p(options);
  for (int i = 0; i < 4; ++i) {
    std::optional<PoolReply> own = p.Send(0, PoolOp::kAllocate, Client(i));
    ASSERT_TRUE(own) << "an own-share grant with kAsync is answered at once";
    EXPECT_TRUE(own->status.ok());
  }
  p.pair().Stall(1, true);  // the standby's acks are held back
  std::optional<PoolReply> peer_share = p.Send(0, PoolOp::kAllocate, "x");
  EXPECT_FALSE(peer_share);
  const uint64_t token = p.last_token();
  p.Pump();
  p.Tick(0);
  EXPECT_FALSE(p.Await(0, token, 0s));
  p.pair().Stall(1, false);
  p.Pump();
  std::optional<PoolReply> reply = p.Await(0, token, 0s);
  ASSERT_TRUE(reply);
  ASSERT_TRUE(reply->status.ok()) << reply->status.ToString();
  EXPECT_EQ(reply->lease.client, "x");
  EXPECT_FALSE(reply->lease.own_share);
  EXPECT_EQ(Ordinal(reply->lease) % 2, 1u);
  EXPECT_EQ(p.Clients(1).at(reply->lease.address), "x");
}

TEST(PairedPool, UnconfirmedPeerShareGrantIsWithdrawn) {
  Connected p;
  for (int i = 0; i < 4; ++i) Granted(p.Allocate(0, Client(i)));
  p.pair().Stall(1, true);  // the standby falls silent: no ack comes
  std::optional<PoolReply> now = p.Send(0, PoolOp::kAllocate, "x");
  ASSERT_FALSE(now);
  Result<Lease> written = p.pool(0).LookupClient(p.node(0), "x");
  ASSERT_TRUE(written.ok());
  EXPECT_FALSE(written->own_share);
  std::optional<PoolReply> reply = p.Await(0, p.last_token(), 5s);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(reply->status.ok());
  EXPECT_THAT(reply->status.message(), HasSubstr("withdrawn"));
  // The peer is gone now (own share only) and may never have received the lease, while it
  // alone may reuse that address: the grant is undone at the next tick, and neither a retry
  // nor a renewal is answered with it.
  p.pair().Stall(1, false);
  ASSERT_FALSE(p.node(0).peer().connected);
  p.Run(200ms);
  EXPECT_EQ(p.pool(0).LookupAddress(p.node(0), written->address).status().code(), Code::kNotFound);
  Result<Lease> retry = p.Allocate(0, "x");
  EXPECT_EQ(retry.status().code(), Code::kExhausted) << "its own share is full";
  Result<Lease> renewal = p.Renew(0, "x", written->address);
  EXPECT_EQ(renewal.status().code(), Code::kNotFound);
}

TEST(PairedPool, PeerShareLeaseStandsUnextendedWhileThePeerIsUnreachable) {
  Connected p;
  for (int i = 0; i < 4; ++i) Granted(p.Allocate(0, Client(i)));
  Lease x = Granted(p.Allocate(0, "x"));
  ASSERT_FALSE(x.own_share);
  p.Split();
  p.Run(10s);
  Lease renewed = Granted(p.Renew(0, "x", x.address));
  EXPECT_EQ(renewed.address, x.address);
  EXPECT_FALSE(renewed.extended);
  EXPECT_EQ(renewed.expires_ms, x.expires_ms);
  Lease again = Granted(p.Allocate(0, "x"));
  EXPECT_EQ(again.address, x.address);
  EXPECT_FALSE(again.extended);
  p.Run(51s);  // past the lease's end
  // Only the owner of the share (or a node that holds the whole pool) expires it.
  Result<Lease> stands = p.pool(0).LookupAddress(p.node(0), x.address);
  ASSERT_TRUE(stands.ok());
  EXPECT_EQ(stands->state, LeaseState::kLeased);
  Result<Lease> ended = p.Renew(0, "x", x.address);
  EXPECT_EQ(ended.status().code(), Code::kNotFound);
  EXPECT_THAT(ended.status().message(), HasSubstr("peer's share"));
  // The client moves to this node's share once an address there is free again.
  EXPECT_EQ(p.Allocate(0, "x").status().code(), Code::kExhausted);
  p.Run(11s);  // the own-share leases expired, then their grace ended
  Lease moved = Granted(p.Allocate(0, "x"));
  EXPECT_TRUE(moved.own_share);
  EXPECT_NE(moved.address, x.address);
}

// The standby that takes over knows every lease: it extends those of its own share at once,
// and those of the failed node's share only once the operator declares that node down.
TEST(PairedPool, AfterAFailoverTheNewActiveKnowsEveryLease) {
  Connected p;
  std::vector<Lease> leases;
  for (int i = 0; i < 8; ++i) leases.push_back(Granted(p.Allocate(0, Client(i))));
  p.Crash(0);
  p.Run(300ms);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  EXPECT_EQ(p.pool(1).Scope(p.node(1)), PoolScope::kOwnShare);
  for (const Lease& lease : leases) {
    EXPECT_EQ(Granted(p.pool(1).LookupClient(p.node(1), lease.client)).address, lease.address);
  }
  // leases[4..7] are in node 1's share (odd ordinals), leases[0..3] in node 0's.
  Lease stands = Granted(p.Renew(1, Client(0), leases[0].address));
  EXPECT_FALSE(stands.extended);
  EXPECT_EQ(stands.expires_ms, leases[0].expires_ms);
  EXPECT_EQ(p.Allocate(1, "new").status().code(), Code::kExhausted);
  p.Run(30s);
  EXPECT_TRUE(Granted(p.Renew(1, Client(4), leases[4].address)).extended);
  p.Run(31s);  // every lease has ended but the one renewed
  auto state = [&](int i) {
    return Granted(p.pool(1).LookupAddress(p.node(1), leases[i].address)).state;
  };
  EXPECT_EQ(state(4), LeaseState::kLeased);
  EXPECT_EQ(state(5), LeaseState::kExpired);
  EXPECT_EQ(state(0), LeaseState::kLeased);  // node 0's share: not this node's to expire
  ASSERT_TRUE(p.pool(1).DeclarePartnerDown(p.node(1)).ok());
  p.Tick(1);
  EXPECT_EQ(state(0), LeaseState::kExpired);
  EXPECT_EQ(state(3), LeaseState::kExpired);
}

TEST(PairedPool, StandbyAnswersNotActive) {
  Connected p;
  std::optional<PoolReply> reply = p.Send(1, PoolOp::kAllocate, "a");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status.code(), Code::kNotActive);
  EXPECT_EQ(p.pool(1).Scope(p.node(1)), PoolScope::kNone);
  EXPECT_EQ(p.pool(1).DeclarePartnerDown(p.node(1)).code(), Code::kNotActive);
}

TEST(PairedPool, StandbysPoolSeesTheRecordsReplicatedToIt) {
  Connected p;
  Lease a = Granted(p.Allocate(0, "a"));
  Lease found = Granted(p.pool(1).LookupAddress(p.node(1), a.address));
  EXPECT_EQ(found.client, "a");
  EXPECT_EQ(found.expires_ms, a.expires_ms);
  EXPECT_FALSE(found.own_share);  // even ordinal: node 0's share
  EXPECT_EQ(Granted(p.pool(1).LookupClient(p.node(1), "a")).address, a.address);
  ASSERT_TRUE(p.Release(0, "a", a.address).ok());
  EXPECT_EQ(Granted(p.pool(1).LookupAddress(p.node(1), a.address)).state, LeaseState::kReleased);
  PoolUsage u = p.pool(1).Usage(p.node(1));
  EXPECT_EQ(u.scope, PoolScope::kNone);
  EXPECT_EQ(u.reserved, 1u);
}

TEST(PairedPool, StandbyNeverExpiresLeases) {
  Connected p;
  Lease a = Granted(p.Allocate(0, "a"));
  p.pair().Partition(true);
  p.Run(100ms);  // not yet dead: node 1 is still standby
  ASSERT_EQ(p.node(1).role(), Role::kStandby);
  p.pool(1).Tick(p.node(1), PoolClock{p.pair().now(), p.wall_ms(1) + 3'600'000});
  EXPECT_EQ(Granted(p.pool(1).LookupAddress(p.node(1), a.address)).state, LeaseState::kLeased);
  EXPECT_EQ(p.pool(1).counters().expired, 0u);
}

TEST(PairedPool, PartnerDownIsRefusedWhileThePeerIsConnected) {
  Connected p;
  Status s = p.pool(0).DeclarePartnerDown(p.node(0));
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_FALSE(p.pool(0).Usage(p.node(0)).partner_down);
}

TEST(PairedPool, PartnerDownOpensThePeersShareUntilThePeerIsBack) {
  Connected p;
  p.Split();
  for (int i = 0; i < 4; ++i) Granted(p.Allocate(0, Client(i)));
  ASSERT_EQ(p.Allocate(0, "x").status().code(), Code::kExhausted);
  ASSERT_TRUE(p.pool(0).DeclarePartnerDown(p.node(0)).ok());
  EXPECT_EQ(p.pool(0).counters().partner_down, 1u);
  PoolUsage u = p.pool(0).Usage(p.node(0));
  EXPECT_TRUE(u.partner_down);
  EXPECT_EQ(u.scope, PoolScope::kWholePool);
  Lease x = Granted(p.Allocate(0, "x"));
  EXPECT_FALSE(x.own_share);
  EXPECT_EQ(Ordinal(x) % 2, 1u);
  std::vector<std::string> log = p.pool(0).TakeLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("declared the peer down"));
  // The peer (which in truth was alive, but allocated nothing) connects again.
  p.Heal();
  p.Run(1s);
  u = p.pool(0).Usage(p.node(0));
  EXPECT_FALSE(u.partner_down);
  EXPECT_EQ(u.scope, PoolScope::kWholePool);  // the peer is now an in-sync standby
  log = p.pool(0).TakeLog();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_THAT(log[0], HasSubstr("partner-down ends"));
  EXPECT_EQ(p.Clients(1).at(x.address), "x");
  EXPECT_EQ(p.pool(0).duplicates(), 0u);
}

TEST(PairedPool, PartnerDownEndsWhenThePeerReconnectsEvenAfterAnotherPartition) {
  Connected p;
  p.Split();
  ASSERT_TRUE(p.pool(0).DeclarePartnerDown(p.node(0)).ok());
  p.Heal();
  p.Run(1s);
  EXPECT_FALSE(p.pool(0).Usage(p.node(0)).partner_down);
  p.Split();  // a new partition: own share again, until the operator says otherwise
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kOwnShare);
}

// Node 1 sends 2000 records at 2000/s after a split-brain, so node 0 reconciles for about a
// second after the heal.
struct Reconciling : Connected {
  explicit Reconciling(core::CoreConfig a = core::testing::TestConfig(1, 200))
      : Connected(Options({"10.0.0.0/29"}), std::move(a), SlowSender()) {
    renewing = Granted(Allocate(0, "renewing"));
    for (int i = 0; i < 2000; ++i) {
      EXPECT_TRUE(
          node(0)
              .Put(pair().now(), "sessions", "k" + std::to_string(i), "v", Durability::kAsync, 0)
              .status.ok());
    }
    Run(100ms);
    Split();
    Heal();
    Run(100ms);
    EXPECT_TRUE(node(0).reconciling());
    EXPECT_EQ(pool(0).Scope(node(0)), PoolScope::kWaiting);
  }
  static core::CoreConfig SlowSender() {
    core::CoreConfig b = core::testing::TestConfig(2, 100);
    b.reconcile_rate = 2000;
    return b;
  }
  Lease renewing;
};

TEST(PairedPool, AllocateWaitsForTheEndOfAReconciliation) {
  Reconciling p;
  std::optional<PoolReply> now = p.Send(0, PoolOp::kAllocate, "a");
  EXPECT_FALSE(now);
  const uint64_t token = p.last_token();
  EXPECT_EQ(p.pool(0).waiting(), 1u);
  EXPECT_EQ(p.pool(0).counters().waited, 1u);
  // Renewals in this node's share go on meanwhile: written at once (the standby confirms them
  // at the end of the reconciliation, as any replicated write).
  std::optional<PoolReply> renewal = p.Send(0, PoolOp::kRenew, "renewing", p.renewing.address);
  const uint64_t renew_token = p.last_token();
  Lease written = Granted(p.pool(0).LookupAddress(p.node(0), p.renewing.address));
  EXPECT_EQ(written.expires_ms, p.wall_ms(0) + 60'000);
  EXPECT_TRUE(p.node(0).reconciling());
  if (!renewal) renewal = p.Await(0, renew_token, 5s);
  ASSERT_TRUE(renewal);
  ASSERT_TRUE(renewal->status.ok()) << renewal->status.ToString();
  EXPECT_TRUE(renewal->lease.extended);
  std::optional<PoolReply> reply = p.Await(0, token, 5s);
  ASSERT_TRUE(reply);
  EXPECT_FALSE(p.node(0).reconciling());
  ASSERT_TRUE(reply->status.ok()) << reply->status.ToString();
  EXPECT_EQ(reply->lease.client, "a");
  EXPECT_EQ(p.pool(0).waiting(), 0u);
  p.Run(500ms);
  EXPECT_EQ(p.Clients(1), p.Clients(0));
}

TEST(PairedPool, WaitingRequestFailsWhenTheNodeGivesUpTheActiveRole) {
  Reconciling p;
  EXPECT_FALSE(p.Send(0, PoolOp::kAllocate, "a"));
  const uint64_t token = p.last_token();
  ASSERT_TRUE(p.node(0).RequestSwitchover(p.pair().now()).ok());
  std::optional<PoolReply> reply = p.Await(0, token, 5s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status.code(), Code::kNotActive);
  EXPECT_EQ(p.node(0).role(), Role::kStandby);
  EXPECT_EQ(p.pool(0).waiting(), 0u);
}

TEST(PairedPool, WaitingRequestsAreBoundedAndTimeOut) {
  core::CoreConfig a = core::testing::TestConfig(1, 200);
  a.postpone_timeout = 200ms;
  a.max_postponed_writes = 1;
  Reconciling p(a);
  EXPECT_FALSE(p.Send(0, PoolOp::kAllocate, "a"));
  const uint64_t token = p.last_token();
  std::optional<PoolReply> full = p.Send(0, PoolOp::kRelease, "renewing", p.renewing.address);
  ASSERT_TRUE(full);
  EXPECT_EQ(full->status.code(), Code::kUnavailable);
  std::optional<PoolReply> reply = p.Await(0, token, 1s);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status.code(), Code::kTimeout);
  EXPECT_TRUE(p.node(0).reconciling());
  EXPECT_EQ(p.pool(0).counters().wait_failed, 2u);
}

TEST(ScopeOf, FollowsTheRoleTheReconciliationAndThePeer) {
  core::PeerView gone;
  core::PeerView standby{true, 2, Role::kStandby, 5, true, SyncState::kIdle};
  core::PeerView syncing = standby;
  syncing.in_sync = false;
  core::PeerView active = standby;
  active.role = Role::kActive;
  active.in_sync = false;
  struct Row {
    Role role;
    bool reconciling;
    const core::PeerView* peer;
    bool has_peer;
    bool partner_down;
    PoolScope want;
  };
  const Row rows[] = {
      {Role::kInit, false, &gone, true, false, PoolScope::kNone},
      {Role::kStandby, false, &standby, true, false, PoolScope::kNone},
      {Role::kStandby, true, &gone, false, true, PoolScope::kNone},
      {Role::kActive, true, &standby, true, false, PoolScope::kWaiting},
      {Role::kActive, true, &gone, false, false, PoolScope::kWaiting},
      {Role::kActive, false, &gone, false, false, PoolScope::kWholePool},  // no peer at all
      {Role::kActive, false, &gone, true, false, PoolScope::kOwnShare},    // unreachable
      {Role::kActive, false, &gone, true, true, PoolScope::kWholePool},    // declared down
      {Role::kActive, false, &standby, true, false, PoolScope::kWholePool},
      {Role::kActive, false, &standby, true, true, PoolScope::kWholePool},
      {Role::kActive, false, &syncing, true, false, PoolScope::kOwnShare},  // rejoining
      {Role::kActive, false, &syncing, true, true, PoolScope::kOwnShare},   // back: not down
      {Role::kActive, false, &active, true, false, PoolScope::kOwnShare},   // split-brain
  };
  for (const Row& r : rows) {
    EXPECT_EQ(ScopeOf(r.role, r.reconciling, *r.peer, r.has_peer, r.partner_down), r.want)
        << RoleName(r.role) << " reconciling " << r.reconciling << " peer connected "
        << r.peer->connected << " role " << RoleName(r.peer->role) << " in sync " << r.peer->in_sync
        << " has peer " << r.has_peer << " down " << r.partner_down;
  }
  EXPECT_EQ(PoolScopeName(PoolScope::kOwnShare), "own-share");
  EXPECT_EQ(PoolScopeName(PoolScope::kWaiting), "waiting");
}

}  // namespace
}  // namespace hasync::pool::testing
