// How leases merge after a split-brain (src/pool/merge.h): record by record as a pure function,
// then end to end on a pair whose two halves both allocated while cut apart.
#include "pool/merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "pool/lease.h"
#include "pool_pair.h"

namespace hasync::pool::testing {
namespace {

using ::testing::HasSubstr;

constexpr NodeId kSelf = 1;  // the lower id: owns the even ordinals
constexpr NodeId kPeer = 2;
constexpr std::string_view kOwnKey = "10.0.0.2";   // ordinal 2, this node's share
constexpr std::string_view kPeerKey = "10.0.0.3";  // ordinal 3, the peer's share

MergeState State() {
  std::vector<std::string> ranges = {"10.0.0.0/29"};
  AddressSpace space = AddressSpace::Create(ranges, {}).value();
  ShareMap shares(ShareRule::kOddEven, space.size(), kSelf, kPeer);
  return MergeState{"p", std::move(space), shares, kSelf, kPeer, 0, {}};
}

// A lease value held by one side of the merge; the record views it.
struct Side {
  std::string value;
  MergeRecord record;
};

Side Leased(std::string_view key, std::string_view client, uint64_t granted, uint64_t expires,
            uint64_t stamp, NodeId origin, LeaseState state = LeaseState::kLeased) {
  Side s;
  EncodeLease({state, granted, expires, client}, &s.value);
  s.record = MergeRecord{key, {}, stamp, origin, false};
  return s;
}

Side Deleted(std::string_view key, uint64_t stamp, NodeId origin) {
  return Side{{}, MergeRecord{key, {}, stamp, origin, true}};
}

MergeChoice Merge(MergeState& state, Side& local, Side& incoming) {
  local.record.value = local.value;
  incoming.record.value = incoming.value;
  return MergeLeases(state, local.record, incoming.record).choice;
}

TEST(MergeLeases, SameClientTheOwnersRecordWinsElseLastWriterWins) {
  MergeState state = State();
  Side local = Leased(kPeerKey, "a", 100, 200, 10, kSelf);
  Side newer = Leased(kPeerKey, "a", 100, 300, 20, kSelf);
  EXPECT_EQ(Merge(state, local, newer), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, newer, local), MergeChoice::kKeepLocal);
  // The owner's record, older by the stamps (a clock behind), still wins: only the owner
  // extended the lease while the two were apart; this node's later word is a release.
  Side by_owner = Leased(kPeerKey, "a", 100, 250, 5, kPeer);
  Side released_here = Leased(kPeerKey, "a", 100, 900, 30, kSelf, LeaseState::kReleased);
  EXPECT_EQ(Merge(state, local, by_owner), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, released_here, by_owner), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, by_owner, released_here), MergeChoice::kKeepLocal);
  EXPECT_EQ(state.duplicates, 0u);
  EXPECT_TRUE(state.log.empty());
}

TEST(MergeLeases, DifferentClientsTheOwnersRecordWinsWhicheverIsNewer) {
  MergeState state = State();
  // This node owns kOwnKey: its own record wins, older or not.
  Side mine = Leased(kOwnKey, "a", 100, 200, 10, kSelf, LeaseState::kReleased);
  Side theirs = Leased(kOwnKey, "b", 300, 400, 20, kPeer);
  EXPECT_EQ(Merge(state, mine, theirs), MergeChoice::kKeepLocal);
  // The peer owns kPeerKey: its record wins, older or not.
  Side stale = Leased(kPeerKey, "a", 100, 200, 30, kSelf, LeaseState::kReleased);
  Side owners = Leased(kPeerKey, "b", 50, 90, 20, kPeer, LeaseState::kExpired);
  EXPECT_EQ(Merge(state, stale, owners), MergeChoice::kTakeIncoming);
  EXPECT_EQ(state.duplicates, 0u);
}

TEST(MergeLeases, NeitherOrBothRecordsByTheOwnerLastWriterWins) {
  MergeState state = State();
  Side older = Leased(kPeerKey, "a", 100, 200, 10, kSelf, LeaseState::kReleased);
  Side newer = Leased(kPeerKey, "b", 300, 400, 20, kSelf);
  EXPECT_EQ(Merge(state, older, newer), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, newer, older), MergeChoice::kKeepLocal);
  Side owner_old = Leased(kOwnKey, "a", 100, 200, 10, kSelf, LeaseState::kReleased);
  Side owner_new = Leased(kOwnKey, "b", 300, 400, 20, kSelf);
  EXPECT_EQ(Merge(state, owner_old, owner_new), MergeChoice::kTakeIncoming);
  // Equal stamps: the larger origin, as LastWriterWins orders them.
  Side from_self = Leased(kPeerKey, "a", 100, 200, 10, kSelf, LeaseState::kReleased);
  Side from_three = Leased(kPeerKey, "b", 100, 200, 10, 3, LeaseState::kReleased);
  EXPECT_EQ(Merge(state, from_self, from_three), MergeChoice::kTakeIncoming);
  EXPECT_EQ(state.duplicates, 0u);
}

TEST(MergeLeases, OverlappingLeasesAreCountedAndLoggedWithBothClients) {
  MergeState state = State();
  Side mine = Leased(kPeerKey, "alice", 100, 1000, 10, kSelf);
  Side theirs = Leased(kPeerKey, "bob", 500, 2000, 5, kPeer);
  EXPECT_EQ(Merge(state, mine, theirs), MergeChoice::kTakeIncoming);  // the owner's
  EXPECT_EQ(state.duplicates, 1u);
  ASSERT_EQ(state.log.size(), 1u);
  EXPECT_THAT(state.log[0], HasSubstr("duplicate lease of 10.0.0.3"));
  EXPECT_THAT(state.log[0], HasSubstr("client alice"));
  EXPECT_THAT(state.log[0], HasSubstr("client bob"));
  EXPECT_THAT(state.log[0], HasSubstr("bob keeps it"));
  EXPECT_THAT(state.log[0], HasSubstr("pool p"));
}

TEST(MergeLeases, LeasesThatFollowEachOtherAreNotDuplicates) {
  MergeState state = State();
  // "a"'s lease ended (at 400) before "b" was granted (at 400 or later).
  Side ended = Leased(kOwnKey, "a", 100, 400, 10, kPeer);
  Side later = Leased(kOwnKey, "b", 400, 900, 20, kSelf);
  EXPECT_EQ(Merge(state, later, ended), MergeChoice::kKeepLocal);
  EXPECT_EQ(Merge(state, ended, later), MergeChoice::kTakeIncoming);
  // A released or expired record is a reservation, not a lease: no duplicate either.
  Side released = Leased(kOwnKey, "a", 100, 900, 10, kPeer, LeaseState::kReleased);
  Side leased = Leased(kOwnKey, "b", 200, 900, 20, kSelf);
  EXPECT_EQ(Merge(state, leased, released), MergeChoice::kKeepLocal);
  Side expired = Leased(kOwnKey, "a", 100, 900, 10, kPeer, LeaseState::kExpired);
  EXPECT_EQ(Merge(state, leased, expired), MergeChoice::kKeepLocal);
  EXPECT_EQ(state.duplicates, 0u);
  EXPECT_TRUE(state.log.empty());
}

TEST(MergeLeases, TheOwnersLeaseOutlivesTheOtherNodesDelete) {
  MergeState state = State();
  // Only the owner reuses its addresses: the other node's delete is an older reclaim, however
  // its clock ranks it.
  Side lease = Leased(kOwnKey, "a", 100, 200, 20, kSelf);
  Side older_delete = Deleted(kOwnKey, 10, kPeer);
  Side newer_delete = Deleted(kOwnKey, 30, kPeer);
  EXPECT_EQ(Merge(state, lease, older_delete), MergeChoice::kKeepLocal);
  EXPECT_EQ(Merge(state, lease, newer_delete), MergeChoice::kKeepLocal);
  EXPECT_EQ(Merge(state, newer_delete, lease), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, older_delete, lease), MergeChoice::kTakeIncoming);
}

TEST(MergeLeases, OtherDeletesAgainstRecordsLastWriterWins) {
  MergeState state = State();
  // A lease the non-owner wrote, against the owner's delete: last writer wins.
  Side lease = Leased(kOwnKey, "a", 100, 200, 20, kPeer);
  Side older_delete = Deleted(kOwnKey, 10, kSelf);
  Side newer_delete = Deleted(kOwnKey, 30, kSelf);
  EXPECT_EQ(Merge(state, lease, older_delete), MergeChoice::kKeepLocal);
  EXPECT_EQ(Merge(state, lease, newer_delete), MergeChoice::kTakeIncoming);
  EXPECT_EQ(Merge(state, newer_delete, lease), MergeChoice::kKeepLocal);
  EXPECT_EQ(Merge(state, older_delete, lease), MergeChoice::kTakeIncoming);
  // A released reservation of the owner is not a lease: last writer wins too.
  Side released = Leased(kOwnKey, "a", 100, 200, 20, kSelf, LeaseState::kReleased);
  EXPECT_EQ(Merge(state, released, newer_delete), MergeChoice::kTakeIncoming);
}

TEST(MergeLeases, UndecodableOrForeignRecordsLastWriterWins) {
  MergeState state = State();
  Side lease = Leased(kOwnKey, "a", 100, 200, 20, kSelf);
  Side junk{"junk", MergeRecord{kOwnKey, {}, 30, kPeer, false}};
  EXPECT_EQ(Merge(state, lease, junk), MergeChoice::kTakeIncoming);
  junk.record.stamp = 10;
  EXPECT_EQ(Merge(state, lease, junk), MergeChoice::kKeepLocal);
  // A key outside the pool (its ranges changed): no owner to prefer.
  Side outside_mine = Leased("10.0.1.1", "a", 100, 200, 10, kSelf);
  Side outside_theirs = Leased("10.0.1.1", "b", 100, 200, 20, kSelf);
  EXPECT_EQ(Merge(state, outside_mine, outside_theirs), MergeChoice::kTakeIncoming);
  EXPECT_EQ(state.duplicates, 0u);
}

// End to end: both halves of a split pair allocate, renew and release from their own shares;
// after the heal both stores agree, no address has two clients and every lease survives.
TEST(MergeLeases, SplitBrainWhereBothNodesAllocatedLosesNoLease) {
  PoolPair p(Options({"10.0.0.0/28"}), true);
  p.StartConnected();
  Lease before = Granted(p.Allocate(0, "before"));
  p.pair().Partition(true);
  p.Run(300ms);
  ASSERT_EQ(p.node(1).role(), Role::kActive);
  std::map<std::string, std::string> granted;  // client -> address
  for (int i = 0; i < 3; ++i) {
    for (int n = 0; n < 2; ++n) {
      std::string client = "n" + std::to_string(n) + "-" + std::to_string(i);
      Lease lease = Granted(p.Allocate(n, client));
      EXPECT_TRUE(lease.own_share);
      granted[client] = lease.address;
    }
  }
  Lease renewed = Granted(p.Renew(0, "before", before.address));
  EXPECT_TRUE(renewed.extended);  // node 0's own share
  ASSERT_TRUE(p.Release(1, "n1-0", granted["n1-0"]).ok());
  p.pair().Partition(false);
  p.pair().Connect();
  p.Run(1s);
  ASSERT_EQ(p.node(0).role(), Role::kActive);
  ASSERT_EQ(p.node(1).role(), Role::kStandby);
  EXPECT_EQ(p.node(0).store().digest(), p.node(1).store().digest());
  std::map<std::string, std::string> clients = p.Clients(0);
  EXPECT_EQ(clients, p.Clients(1));
  EXPECT_EQ(clients.size(), granted.size() + 1);
  for (const auto& [client, address] : granted) {
    EXPECT_EQ(clients[address], client) << address;
    EXPECT_EQ(Granted(p.pool(1).LookupClient(p.node(1), client)).address, address);
  }
  EXPECT_EQ(Granted(p.pool(0).LookupAddress(p.node(0), before.address)).expires_ms,
            renewed.expires_ms);
  EXPECT_EQ(Granted(p.pool(0).LookupAddress(p.node(0), granted["n1-0"])).state,
            LeaseState::kReleased);
  EXPECT_EQ(p.pool(0).duplicates(), 0u);
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kWholePool);
}

// A wrong partner-down: node 0 takes addresses of node 1's share that node 1, alive on the
// other side of the partition, hands out too. The owner's leases win, each duplicate is
// counted and logged, and the losers are refused at their next renewal.
TEST(MergeLeases, WrongPartnerDownDuplicatesAreResolvedForTheOwner) {
  PoolPair p(Options({"10.0.0.0/29"}), true);
  p.StartConnected();
  p.pair().Partition(true);
  p.Run(300ms);
  for (int i = 0; i < 4; ++i) Granted(p.Allocate(0, "own-" + std::to_string(i)));
  ASSERT_TRUE(p.pool(0).DeclarePartnerDown(p.node(0)).ok());
  Lease lost = Granted(p.Allocate(0, "lost"));
  Lease kept = Granted(p.Allocate(1, "kept"));
  ASSERT_EQ(lost.address, kept.address);
  p.pair().Partition(false);
  p.pair().Connect();
  p.Run(1s);
  ASSERT_EQ(p.node(0).role(), Role::kActive);
  EXPECT_EQ(p.pool(0).duplicates(), 1u);
  EXPECT_EQ(p.Clients(0), p.Clients(1));
  EXPECT_EQ(p.Clients(0).at(kept.address), "kept");
  bool logged = false;
  for (const std::string& line : p.pool(0).TakeLog()) {
    if (line.find("duplicate lease of " + kept.address) == std::string::npos) continue;
    logged = true;
    EXPECT_THAT(line, HasSubstr("client lost"));
    EXPECT_THAT(line, HasSubstr("client kept"));
  }
  EXPECT_TRUE(logged);
  EXPECT_EQ(p.Renew(0, "lost", lost.address).status().code(), Code::kNotFound);
  EXPECT_TRUE(p.Renew(0, "kept", kept.address).ok());
  Lease moved = Granted(p.Allocate(0, "lost"));
  EXPECT_NE(moved.address, kept.address);
}

}  // namespace
}  // namespace hasync::pool::testing
