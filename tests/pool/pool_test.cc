// AddressPool on one node without a peer (it owns the whole pool): allocation, stickiness,
// release and grace, expiry, IPv6, lookups, listing and usage.
#include "pool/pool.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "pool/lease.h"
#include "pool_pair.h"

namespace hasync::pool::testing {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kLeaseMs = 60'000;
constexpr uint64_t kGraceMs = 10'000;

// One node alone, active, with a pool over `ranges`.
struct Alone : PoolPair {
  explicit Alone(std::vector<std::string> ranges) : PoolPair(Options(std::move(ranges)), false) {
    StartAlone();
  }
  Result<Lease> Lookup(std::string_view address) { return pool(0).LookupAddress(node(0), address); }
};

std::string Client(int i) { return "client-" + std::to_string(i); }

TEST(Pool, AllocatesDistinctAddressesUntilThePoolIsExhausted) {
  Alone p({"10.0.0.0/29"});
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kWholePool);
  std::set<std::string> addresses;
  for (int i = 0; i < 8; ++i) {
    Lease lease = Granted(p.Allocate(0, Client(i)));
    EXPECT_TRUE(addresses.insert(lease.address).second) << lease.address;
    EXPECT_EQ(lease.client, Client(i));
    EXPECT_EQ(lease.state, LeaseState::kLeased);
    EXPECT_EQ(lease.granted_ms, p.wall_ms(0));
    EXPECT_EQ(lease.expires_ms, p.wall_ms(0) + kLeaseMs);
    EXPECT_TRUE(lease.own_share);
    EXPECT_FALSE(lease.extended);
  }
  EXPECT_EQ(*addresses.begin(), "10.0.0.0");
  EXPECT_EQ(*addresses.rbegin(), "10.0.0.7");
  Result<Lease> ninth = p.Allocate(0, Client(8));
  ASSERT_FALSE(ninth.ok());
  EXPECT_EQ(ninth.status().code(), Code::kExhausted);
  EXPECT_THAT(ninth.status().message(), HasSubstr("all 8 addresses are held"));
  EXPECT_EQ(p.pool(0).counters().allocated, 8u);
  EXPECT_EQ(p.pool(0).counters().exhausted, 1u);
}

TEST(Pool, AllocatingAgainReturnsTheSameAddressExtended) {
  Alone p({"10.0.0.0/29"});
  Lease first = Granted(p.Allocate(0, "a"));
  p.Run(5s);
  Lease again = Granted(p.Allocate(0, "a"));
  EXPECT_EQ(again.address, first.address);
  EXPECT_TRUE(again.extended);
  EXPECT_EQ(again.granted_ms, first.granted_ms);  // renewals keep the grant time
  EXPECT_EQ(again.expires_ms, first.expires_ms + 5000);
  EXPECT_EQ(p.pool(0).counters().allocated, 1u);
  EXPECT_EQ(p.pool(0).counters().renewed, 1u);
}

TEST(Pool, ReleasedAddressIsReservedForItsClientDuringGrace) {
  Alone p({"10.0.0.1-10.0.0.2"});
  Lease a = Granted(p.Allocate(0, "a"));
  Granted(p.Allocate(0, "b"));
  ASSERT_TRUE(p.Release(0, "a", a.address).ok());
  Lease released = Granted(p.Lookup(a.address));
  EXPECT_EQ(released.state, LeaseState::kReleased);
  EXPECT_EQ(released.expires_ms, p.wall_ms(0) + kGraceMs);
  EXPECT_EQ(p.Allocate(0, "c").status().code(), Code::kExhausted);  // reserved for "a"
  p.Run(5s);
  Lease back = Granted(p.Allocate(0, "a"));
  EXPECT_EQ(back.address, a.address);
  EXPECT_EQ(back.state, LeaseState::kLeased);
  EXPECT_EQ(back.expires_ms, p.wall_ms(0) + kLeaseMs);
}

TEST(Pool, AddressIsReclaimedAfterGraceAndGoesToAnotherClient) {
  Alone p({"10.0.0.1"});
  Lease a = Granted(p.Allocate(0, "a"));
  ASSERT_TRUE(p.Release(0, "a", a.address).ok());
  p.Run(9s);
  EXPECT_TRUE(p.Lookup(a.address).ok());
  EXPECT_EQ(p.Allocate(0, "b").status().code(), Code::kExhausted);
  p.Run(2s);  // past the grace end: the sweep frees it
  EXPECT_EQ(p.Lookup(a.address).status().code(), Code::kNotFound);
  EXPECT_EQ(p.pool(0).counters().reclaimed, 1u);
  Lease b = Granted(p.Allocate(0, "b"));
  EXPECT_EQ(b.address, a.address);
  EXPECT_FALSE(p.pool(0).LookupClient(p.node(0), "a").ok());
}

TEST(Pool, ExpiredLeaseIsReservedAndRenewableByItsClient) {
  Alone p({"10.0.0.1"});
  Lease a = Granted(p.Allocate(0, "a"));
  p.Run(61s);
  Lease expired = Granted(p.Lookup(a.address));
  EXPECT_EQ(expired.state, LeaseState::kExpired);
  EXPECT_EQ(expired.expires_ms, a.expires_ms + kGraceMs);
  EXPECT_EQ(p.pool(0).counters().expired, 1u);
  EXPECT_EQ(p.Allocate(0, "b").status().code(), Code::kExhausted);
  EXPECT_EQ(p.Renew(0, "b", a.address).status().code(), Code::kNotFound);
  Lease renewed = Granted(p.Renew(0, "a", a.address));
  EXPECT_EQ(renewed.state, LeaseState::kLeased);
  EXPECT_TRUE(renewed.extended);
  EXPECT_EQ(renewed.expires_ms, p.wall_ms(0) + kLeaseMs);
  EXPECT_EQ(renewed.granted_ms, a.granted_ms);
}

TEST(Pool, ExpiredLeaseIsReclaimedAfterGrace) {
  Alone p({"10.0.0.1"});
  Lease a = Granted(p.Allocate(0, "a"));
  p.Run(71s);  // the lease, then its grace
  EXPECT_EQ(p.Lookup(a.address).status().code(), Code::kNotFound);
  EXPECT_EQ(Granted(p.Allocate(0, "b")).address, a.address);
}

// Regression: a lease written twice with the same end (a sticky allocation within the same
// millisecond) left two equal deadlines in the sweep's queue; the sweep then handled the
// address twice in one pass, expiring it and at once reclaiming it, with no grace at all.
TEST(Pool, LeaseExtendedWithinTheSameMillisecondStillGetsItsGrace) {
  Alone p({"10.0.0.1"});
  Lease a = Granted(p.Allocate(0, "a"));
  Lease same = Granted(p.Allocate(0, "a"));
  ASSERT_EQ(same.expires_ms, a.expires_ms);
  p.Run(61s);
  Result<Lease> after = p.Lookup(a.address);
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->state, LeaseState::kExpired);
  EXPECT_EQ(p.pool(0).counters().reclaimed, 0u);
  EXPECT_EQ(p.Allocate(0, "b").status().code(), Code::kExhausted);
}

TEST(Pool, IPv6PoolAllocatesAndFormatsCanonically) {
  Alone p({"2001:db8::/125"});
  Lease first = Granted(p.Allocate(0, "a"));
  Lease second = Granted(p.Allocate(0, "b"));
  EXPECT_EQ(first.address, "2001:db8::");
  EXPECT_EQ(second.address, "2001:db8::1");
  for (int i = 2; i < 8; ++i) Granted(p.Allocate(0, Client(i)));
  EXPECT_EQ(p.Allocate(0, "late").status().code(), Code::kExhausted);
  // Any spelling of an address finds it; the answers use the canonical text.
  Lease found = Granted(p.Lookup("2001:DB8:0:0::1"));
  EXPECT_EQ(found.address, "2001:db8::1");
  EXPECT_EQ(found.client, "b");
  EXPECT_EQ(Granted(p.Renew(0, "b", "2001:0db8::0001")).address, "2001:db8::1");
  EXPECT_EQ(p.Clients(0).count("2001:db8::7"), 1u);
}

TEST(Pool, RenewOrReleaseOfAnAddressTheClientDoesNotHoldIsNotFound) {
  Alone p({"10.0.0.0/29"});
  Lease a = Granted(p.Allocate(0, "a"));
  Result<Lease> stolen = p.Renew(0, "b", a.address);
  EXPECT_EQ(stolen.status().code(), Code::kNotFound);
  EXPECT_THAT(stolen.status().message(), HasSubstr("allocate again"));
  EXPECT_EQ(p.Renew(0, "a", "10.0.0.5").status().code(), Code::kNotFound);  // free
  EXPECT_EQ(p.Renew(0, "a", "10.0.1.1").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.Release(0, "b", a.address).code(), Code::kNotFound);
  ASSERT_TRUE(p.Release(0, "a", a.address).ok());
  EXPECT_EQ(p.Release(0, "a", a.address).code(), Code::kNotFound);  // released already
  EXPECT_EQ(p.pool(0).counters().refused, 4u);
  EXPECT_EQ(Granted(p.Lookup(a.address)).client, "a");
}

TEST(Pool, BadClientIdsAreRefusedAtOnce) {
  Alone p({"10.0.0.0/29"});
  std::optional<PoolReply> empty = p.Send(0, PoolOp::kAllocate, "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->status.code(), Code::kInvalidArgument);
  std::optional<PoolReply> binary = p.Send(0, PoolOp::kAllocate, std::string_view("a\0b", 3));
  ASSERT_TRUE(binary);
  EXPECT_EQ(binary->status.code(), Code::kInvalidArgument);
  EXPECT_TRUE(p.Clients(0).empty());  // nothing written
}

TEST(Pool, UsageCountsLeasedReservedAndFree) {
  Alone p({"10.0.0.0/29"});
  for (int i = 0; i < 3; ++i) Granted(p.Allocate(0, Client(i)));
  Lease released = Granted(p.Allocate(0, "r"));
  ASSERT_TRUE(p.Release(0, "r", released.address).ok());
  PoolUsage u = p.pool(0).Usage(p.node(0));
  EXPECT_EQ(u.size, 8u);
  EXPECT_EQ(u.leased, 3u);
  EXPECT_EQ(u.reserved, 1u);
  EXPECT_EQ(u.free, 4u);
  EXPECT_EQ(u.own_share_size, 8u);  // no peer: all of it
  EXPECT_EQ(u.own_share_free, 4u);
  EXPECT_EQ(u.outside, 0u);
  EXPECT_EQ(u.scope, PoolScope::kWholePool);
  EXPECT_FALSE(u.partner_down);
  EXPECT_EQ(u.duplicates, 0u);
}

TEST(Pool, ListIsInOrdinalOrderFromTheGivenAddress) {
  Alone p({"10.0.0.8/29", "10.0.0.0-10.0.0.3"});  // ordinals: .8-.15, then .0-.3
  for (int i = 0; i < 10; ++i) Granted(p.Allocate(0, Client(i)));
  auto addresses = [&](std::string_view from, size_t limit) {
    std::vector<std::string> out;
    for (const Lease& l : p.pool(0).List(p.node(0), from, limit)) out.push_back(l.address);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(addresses("", 100), (V{"10.0.0.8", "10.0.0.9", "10.0.0.10", "10.0.0.11", "10.0.0.12",
                                   "10.0.0.13", "10.0.0.14", "10.0.0.15", "10.0.0.0", "10.0.0.1"}));
  EXPECT_EQ(addresses("10.0.0.14", 3), (V{"10.0.0.14", "10.0.0.15", "10.0.0.0"}));
  EXPECT_EQ(addresses("10.0.0.2", 10), V{});  // at or after .2, in ordinal order: none held
  ASSERT_TRUE(p.Release(0, Client(1), "10.0.0.9").ok());
  std::vector<Lease> leases = p.pool(0).List(p.node(0), "10.0.0.9", 1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].state, LeaseState::kReleased);  // reserved leases are listed too
  EXPECT_EQ(leases[0].client, Client(1));
}

TEST(Pool, LookupByClientAndByAddress) {
  Alone p({"10.0.0.0/29"});
  Lease a = Granted(p.Allocate(0, "a"));
  Lease by_client = Granted(p.pool(0).LookupClient(p.node(0), "a"));
  EXPECT_EQ(by_client.address, a.address);
  EXPECT_EQ(by_client.expires_ms, a.expires_ms);
  EXPECT_EQ(Granted(p.Lookup(a.address)).client, "a");
  EXPECT_EQ(p.pool(0).LookupClient(p.node(0), "nobody").status().code(), Code::kNotFound);
  EXPECT_EQ(p.Lookup("10.0.0.6").status().code(), Code::kNotFound);
  EXPECT_EQ(p.Lookup("10.0.0.8").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(p.Lookup("not an address").status().code(), Code::kInvalidArgument);
}

TEST(Pool, NodeThatIsNotActiveYetAnswersNotActive) {
  PoolPair p(Options({"10.0.0.0/29"}), false);
  p.Start(0);  // still in its startup wait
  std::optional<PoolReply> reply = p.Send(0, PoolOp::kAllocate, "a");
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status.code(), Code::kNotActive);
  EXPECT_EQ(p.pool(0).Scope(p.node(0)), PoolScope::kNone);
}

TEST(Pool, WithoutAPeerPartnerDownIsRefused) {
  Alone p({"10.0.0.0/29"});
  EXPECT_EQ(p.pool(0).DeclarePartnerDown(p.node(0)).code(), Code::kInvalidArgument);
}

// Regression: a record that does not decode was indexed as a lease held until time 0, so it
// counted as leased and the sweep first rewrote it as an "expired" record with an empty client
// (a value that does not decode either) before reclaiming it on a second pass.
TEST(Pool, UndecodableRecordIsReservedForNobodyThenReclaimed) {
  Alone p({"10.0.0.1"});
  ASSERT_TRUE(
      p.node(0)
          .Put(p.pair().now(), p.pool(0).table(), "10.0.0.1", "garbage", Durability::kAsync, 0)
          .status.ok());
  PoolUsage u = p.pool(0).Usage(p.node(0));
  EXPECT_EQ(u.leased, 0u);
  EXPECT_EQ(u.reserved, 1u);
  EXPECT_EQ(p.Allocate(0, "a").status().code(), Code::kExhausted);  // never handed out as is
  p.Tick(0);
  EXPECT_EQ(p.Clients(0).size(), 0u);
  EXPECT_EQ(p.pool(0).counters().reclaimed, 1u);
  EXPECT_EQ(Granted(p.Allocate(0, "a")).address, "10.0.0.1");
}

TEST(Pool, RecordsOutsideThePoolAreOnlyCounted) {
  Alone p({"10.0.0.0/29"});
  ASSERT_TRUE(p.node(0)
                  .Put(p.pair().now(), p.pool(0).table(), "10.9.9.9", "x", Durability::kAsync, 0)
                  .status.ok());
  PoolUsage u = p.pool(0).Usage(p.node(0));
  EXPECT_EQ(u.outside, 1u);
  EXPECT_EQ(u.free, 8u);
}

TEST(Pool, CreateRefusesBadOptions) {
  auto refused = [](PoolOptions o, NodeId self = 1, NodeId peer = 2) {
    Result<std::unique_ptr<AddressPool>> pool = AddressPool::Create(std::move(o), self, peer);
    EXPECT_FALSE(pool.ok());
    return pool.ok() ? Code::kOk : pool.status().code();
  };
  PoolOptions good = Options({"10.0.0.0/29"});
  EXPECT_TRUE(AddressPool::Create(good, 1, 2).ok());
  PoolOptions o = good;
  o.name = "";
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o.name = std::string(65, 'n');
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o.name = "a/b";
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o = good;
  o.lease_time = std::chrono::seconds(0);
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o = good;
  o.grace = std::chrono::seconds(0);
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  o = good;
  o.ranges = {"10.0.0.0/33"};
  EXPECT_EQ(refused(o), Code::kInvalidArgument);
  EXPECT_EQ(refused(good, 3, 3), Code::kInvalidArgument);
}

TEST(Pool, SettingsDigestCoversWhatBothNodesMustShare) {
  auto digest = [](const PoolOptions& o) {
    return AddressPool::Create(o, 1, 2).value()->settings_digest();
  };
  PoolOptions base = Options({"10.0.0.0/29"});
  PoolOptions same = Options({"10.0.0.0-10.0.0.3", "10.0.0.4-10.0.0.7"});  // numbered alike
  EXPECT_EQ(digest(base), digest(same));
  PoolOptions other = base;
  other.share = ShareRule::kHalves;
  EXPECT_NE(digest(base), digest(other));
  other = base;
  other.grace = std::chrono::seconds(11);
  EXPECT_NE(digest(base), digest(other));
  EXPECT_EQ(AddressPool::Create(base, 1, 2).value()->table(), "pool/p");
}

}  // namespace
}  // namespace hasync::pool::testing
