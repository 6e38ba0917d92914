// hasync::Pool over two Replicas on loopback: leases replicate, shares and partner-down work
// through the embedding API the way docs/pools.md says.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <functional>
#include <thread>

#include "hasync/node.h"
#include "hasync/pool.h"
#include "net/replica_test_util.h"

namespace hasync {
namespace {

using namespace std::chrono_literals;

ReplicaOptions Options(NodeId id, uint8_t priority) {
  return testing::LoopbackOptions(id, priority);
}

PoolOptions EightAddresses() {
  PoolOptions p;
  p.name = "subs";
  p.ranges = {"10.0.0.0/29"};
  return p;
}

using testing::Eventually;

class PoolHandleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    // The standby only accepts (no `peer`); its peer_id makes it a pair member for the pools.
    ReplicaOptions b_options = Options(2, 100);
    b_options.peer_id = 1;
    ASSERT_NO_FATAL_FAILURE(
        testing::CreateLoopbackPair(Options(1, 200), b_options, &active_, &standby_));
    // Both nodes need the same pools: the hello compares them.
    auto pa = Pool::Create(*active_, EightAddresses());
    ASSERT_TRUE(pa.ok()) << pa.status().ToString();
    active_pool_ = std::move(pa).value();
    auto pb = Pool::Create(*standby_, EightAddresses());
    ASSERT_TRUE(pb.ok()) << pb.status().ToString();
    standby_pool_ = std::move(pb).value();
    ASSERT_TRUE(standby_->Start().ok());
    ASSERT_TRUE(active_->Start().ok());
    ASSERT_TRUE(Eventually([&] { return testing::ActiveWithStandbyInSync(*active_); }));
  }

  PoolScope ActiveScope() {
    Result<PoolUsage> u = active_pool_->Usage();
    return u.ok() ? u->scope : PoolScope::kNone;
  }

  std::unique_ptr<Replica> standby_;
  std::unique_ptr<Replica> active_;
  std::unique_ptr<Pool> active_pool_;
  std::unique_ptr<Pool> standby_pool_;
};

TEST_F(PoolHandleTest, FillsItsOwnShareFirstThenThePeersThenIsExhausted) {
  EXPECT_EQ(ActiveScope(), PoolScope::kWholePool);
  for (int i = 0; i < 8; ++i) {
    Result<Lease> lease = active_pool_->Allocate("client-" + std::to_string(i));
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    EXPECT_EQ(lease->own_share, i < 4) << lease->address;
    EXPECT_EQ(lease->state, LeaseState::kLeased);
  }
  Result<Lease> ninth = active_pool_->Allocate("client-8");
  EXPECT_EQ(ninth.status().code(), Code::kExhausted);
  // Sticky: a client that holds an address gets it back, extended.
  Result<Lease> again = active_pool_->Allocate("client-3");
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->extended);
  EXPECT_EQ(active_pool_->LookupClient("client-3")->address, again->address);
}

TEST_F(PoolHandleTest, LeasesAreRecordsTheStandbyHolds) {
  Result<Lease> lease = active_pool_->Allocate("cpe-17");
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  Result<Lease> copy = standby_pool_->LookupClient("cpe-17");
  ASSERT_TRUE(copy.ok()) << "a replicated lease is on the standby when Allocate returns";
  EXPECT_EQ(copy->address, lease->address);
  EXPECT_EQ(standby_pool_->Allocate("cpe-18").status().code(), Code::kNotActive);
  ASSERT_TRUE(active_pool_->Release("cpe-17", lease->address).ok());
  Result<Lease> released = active_pool_->LookupAddress(lease->address);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->state, LeaseState::kReleased);
  // Within the grace period the address is kept for its client.
  EXPECT_EQ(active_pool_->Allocate("cpe-17")->address, lease->address);
}

TEST_F(PoolHandleTest, WithThePeerGoneOnlyItsOwnShareUntilPartnerDown) {
  standby_->Stop();
  ASSERT_TRUE(Eventually([&] { return ActiveScope() == PoolScope::kOwnShare; }));
  for (int i = 0; i < 4; ++i) {
    Result<Lease> lease = active_pool_->Allocate("c" + std::to_string(i));
    ASSERT_TRUE(lease.ok()) << lease.status().ToString();
    EXPECT_TRUE(lease->own_share);
  }
  Result<Lease> refused = active_pool_->Allocate("c4");
  EXPECT_EQ(refused.status().code(), Code::kExhausted);
  EXPECT_NE(refused.status().message().find("share"), std::string::npos);

  ASSERT_TRUE(active_pool_->DeclarePartnerDown().ok());
  EXPECT_EQ(ActiveScope(), PoolScope::kWholePool);
  Result<Lease> unlocked = active_pool_->Allocate("c4");
  ASSERT_TRUE(unlocked.ok()) << unlocked.status().ToString();
  EXPECT_FALSE(unlocked->own_share);
  EXPECT_TRUE(active_pool_->Usage()->partner_down);
}

TEST(PoolCreateTest, OnlyBeforeStartAndWithValidOptions) {
  auto r = Replica::Create(Options(1, 100));
  ASSERT_TRUE(r.ok());
  PoolOptions bad = EightAddresses();
  bad.ranges = {"10.0.0.0/33"};
  EXPECT_EQ(Pool::Create(**r, bad).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(Pool::Create(**r, EightAddresses()).ok());
  EXPECT_EQ(Pool::Create(**r, EightAddresses()).status().code(), Code::kInvalidArgument);
  ASSERT_TRUE((*r)->Start().ok());
  PoolOptions other = EightAddresses();
  other.name = "other";
  EXPECT_EQ(Pool::Create(**r, other).status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace hasync
