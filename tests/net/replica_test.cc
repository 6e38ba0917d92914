// The embedding API: two Replicas on their own threads, driven from the test's thread.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <thread>

#include "hasync/node.h"
#include "net/replica_test_util.h"

namespace hasync {
namespace {

using namespace std::chrono_literals;

ReplicaOptions Options(NodeId id, uint8_t priority) {
  return testing::LoopbackOptions(id, priority);
}

using testing::Eventually;

Role RoleOf(Replica& r) {
  Result<ReplicaStatus> s = r.GetStatus();
  return s.ok() ? s->role : Role::kInit;
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    ASSERT_NO_FATAL_FAILURE(
        testing::CreateLoopbackPair(Options(1, 200), Options(2, 100), &active_, &standby_));
    active_->OnRoleChange([this](Role, Role to, std::string_view) {
      if (to == Role::kActive) ++became_active_;
    });
    ASSERT_TRUE(standby_->Start().ok());
    ASSERT_TRUE(active_->Start().ok());
    ASSERT_TRUE(Eventually([&] { return testing::ActiveWithStandbyInSync(*active_); }));
  }

  std::unique_ptr<Replica> standby_;
  std::unique_ptr<Replica> active_;
  std::atomic<int> became_active_{0};
};

TEST_F(ReplicaTest, ReplicatedPutIsReadableOnStandby) {
  ASSERT_TRUE(active_->Put("nat", "k1", "v1", Durability::kReplicated).ok());
  Result<std::string> value = standby_->Get("nat", "k1");
  ASSERT_TRUE(value.ok()) << value.status().ToString();
  EXPECT_EQ(*value, "v1");
  EXPECT_EQ(became_active_.load(), 1);
}

TEST_F(ReplicaTest, ForEachCopiesTheTable) {
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(active_->Put("t", "k" + std::to_string(i), "v").ok());
  }
  ASSERT_TRUE(active_->Erase("t", "k7", Durability::kReplicated).ok());
  std::map<std::string, std::string> seen;
  ASSERT_TRUE(
      standby_->ForEach("t", [&](std::string_view k, std::string_view v) { seen.emplace(k, v); })
          .ok());
  EXPECT_EQ(seen.size(), 99u);
  EXPECT_EQ(seen.count("k7"), 0u);
}

TEST_F(ReplicaTest, StandbyRefusesWritesAndMissingKeysAreNotFound) {
  EXPECT_EQ(standby_->Put("t", "k", "v").code(), Code::kNotActive);
  EXPECT_EQ(active_->Get("t", "absent").status().code(), Code::kNotFound);
}

TEST_F(ReplicaTest, SwitchoverThenStopHandsBack) {
  ASSERT_TRUE(active_->Switchover().ok());
  EXPECT_EQ(RoleOf(*active_), Role::kStandby);
  EXPECT_TRUE(Eventually([&] { return RoleOf(*standby_) == Role::kActive; }));
  standby_->Stop();  // graceful: the old active takes over at once
  EXPECT_TRUE(Eventually([&] { return RoleOf(*active_) == Role::kActive; }, 1s));
  EXPECT_EQ(standby_->Put("t", "k", "v").code(), Code::kUnavailable);
}

TEST_F(ReplicaTest, StatusHasThePeersSyncStateAndAClockNearTheWallClock) {
  ASSERT_TRUE(active_->Put("t", "k", "v").ok());  // the clock shows the last stamp it issued
  Result<ReplicaStatus> s = active_->GetStatus();
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->peer_sync, SyncState::kIdle);
  EXPECT_EQ(s->postponed, 0u);
  auto wall = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  int64_t hlc_ms = static_cast<int64_t>(s->hlc >> 16);
  EXPECT_LE(std::abs(hlc_ms - wall), 5000) << "the HLC starts from the driver's wall clock";
}

TEST_F(ReplicaTest, AllocateAndReleaseWritesRunAtOnceWhenNotReconciling) {
  ASSERT_TRUE(active_->Put("nat", "k", "v", Durability::kReplicated, WriteIntent::kAllocate).ok());
  EXPECT_EQ(standby_->Get("nat", "k").value(), "v");
  ASSERT_TRUE(active_->Erase("nat", "k", Durability::kReplicated, WriteIntent::kRelease).ok());
  EXPECT_EQ(standby_->Get("nat", "k").status().code(), Code::kNotFound);
}

TEST_F(ReplicaTest, MergeFunctionOnlyBeforeStart) {
  EXPECT_EQ(active_->SetMergeFunction("nat", LastWriterWins).code(), Code::kUnavailable);
}

TEST(ReplicaOptionsTest, MergeFunctionBeforeStart) {
  auto r = Replica::Create(Options(1, 100));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->SetMergeFunction("nat", LastWriterWins).ok());
  EXPECT_TRUE((*r)->SetMergeFunction("nat", nullptr).ok()) << "an empty one restores the default";
  EXPECT_EQ((*r)->SetMergeFunction("", LastWriterWins).code(), Code::kInvalidArgument);
}

TEST(ReplicaOptionsTest, ReconciliationOptionsAreChecked) {
  ReplicaOptions o = Options(1, 100);
  o.max_postponed_writes = 0;
  EXPECT_EQ(Replica::Create(o).status().code(), Code::kInvalidArgument);
  o = Options(1, 100);
  o.postpone_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(Replica::Create(o).status().code(), Code::kInvalidArgument);
  o = Options(1, 100);
  o.split_brain_rule = SplitBrainRule::kLongestActiveFirst;
  o.bulk_after_reconcile_always = true;
  EXPECT_TRUE(Replica::Create(o).ok());
}

TEST(ReplicaOptionsTest, InvalidOptionsAreRefused) {
  ReplicaOptions o;
  o.tls.insecure = true;
  o.listen = "localhost:7400";
  EXPECT_EQ(Replica::Create(o).status().code(), Code::kInvalidArgument);
  o = ReplicaOptions();
  o.tls.insecure = true;
  o.peer_id = 1;  // node_id is 1 too
  EXPECT_EQ(Replica::Create(o).status().code(), Code::kInvalidArgument);
}

TEST(ReplicaOptionsTest, CallsBeforeStartAreUnavailable) {
  ReplicaOptions o = Options(1, 100);
  auto r = Replica::Create(o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->Put("t", "k", "v").code(), Code::kUnavailable);
}

}  // namespace
}  // namespace hasync
