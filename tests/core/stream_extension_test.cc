// The core's hooks for a layer that adds frames to the sync channel (core/stream_extension.h):
// when they run, what order the standby sees, what a failover tells them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/node.h"
#include "pair.h"
#include "wire/consumer_messages.h"

namespace hasync::core {
namespace {

using testing::Pair;
using testing::TestConfig;

// Records every call as a line; on the active, sends one ChannelDrop per queued id at the flush.
class Recorder : public StreamExtension {
 public:
  void OnBulkBegin(TimePoint, Node&) override { log.push_back("bulk-begin"); }
  void OnFlush(TimePoint now, Node& node) override {
    for (uint64_t id : to_send) {
      sent_ok.push_back(
          node.SendToPeer(now, wire::ChannelDrop{id, wire::ChannelDropReason::kClosed}));
    }
    to_send.clear();
  }
  Status OnStreamFrame(TimePoint, const wire::FrameView& frame) override {
    Result<wire::ChannelDrop> drop = wire::DecodeChannelDrop(frame.payload);
    if (!drop.ok()) return drop.status();
    log.push_back("drop " + std::to_string(drop->channel));
    return fail_frames ? ProtocolError("refused by the test") : Status::Ok();
  }
  void OnIncrementalRecord(std::string_view table, std::string_view key) override {
    log.push_back("record " + std::string(table) + "/" + std::string(key));
  }
  void OnRoleChanged(TimePoint, Role from, Role to, bool held_everything) override {
    log.push_back(std::string(RoleName(from)) + "->" + std::string(RoleName(to)) +
                  (held_everything ? " held" : ""));
  }

  std::vector<std::string> log;
  std::vector<uint64_t> to_send;
  std::vector<bool> sent_ok;
  bool fail_frames = false;
};

bool Contains(const std::vector<std::string>& log, const std::string& line) {
  for (const std::string& l : log) {
    if (l == line) return true;
  }
  return false;
}

class StreamExtensionTest : public ::testing::Test {
 protected:
  explicit StreamExtensionTest(CoreConfig active = TestConfig(1, 200))
      : pair_(std::move(active), TestConfig(2, 50)) {
    pair_.OnNodeCreated([this](int i, Node& node) {
      ext_[i] = Recorder();
      node.SetStreamExtension(&ext_[i]);
    });
  }

  Pair pair_;
  Recorder ext_[2];
};

TEST_F(StreamExtensionTest, ActiveSeesBulkBeginAndOnlyItCanSend) {
  pair_.StartConnected();
  ASSERT_EQ(pair_.node(0).role(), Role::kActive);
  EXPECT_TRUE(Contains(ext_[0].log, "bulk-begin"));
  EXPECT_FALSE(Contains(ext_[1].log, "bulk-begin"));
  EXPECT_TRUE(pair_.node(0).CanSendToPeer());
  EXPECT_FALSE(pair_.node(1).CanSendToPeer());
  EXPECT_FALSE(pair_.node(1).SendToPeer(pair_.now(), wire::ChannelDrop{}));
}

TEST_F(StreamExtensionTest, StandbySeesRecordsThenFramesInStreamOrder) {
  pair_.StartConnected();
  ext_[1].log.clear();
  ASSERT_TRUE(pair_.node(0).Put(pair_.now(), "t", "k1", "v", Durability::kAsync, 1).status.ok());
  ext_[0].to_send = {7};
  pair_.Settle();
  pair_.Run(10ms);
  EXPECT_EQ(ext_[0].sent_ok, std::vector<bool>{true});
  EXPECT_EQ(ext_[1].log, (std::vector<std::string>{"record t/k1", "drop 7"}));
}

TEST_F(StreamExtensionTest, FailoverOfASyncedStandbySaysItHeldEverything) {
  pair_.StartConnected();
  pair_.Crash(0);
  pair_.Run(10ms);
  EXPECT_TRUE(Contains(ext_[1].log, "standby->active held"));
}

TEST_F(StreamExtensionTest, AnErrorFromTheExtensionClosesTheChannel) {
  pair_.StartConnected();
  ext_[1].fail_frames = true;
  ext_[0].to_send = {3};
  pair_.Settle();
  pair_.Run(10ms);
  EXPECT_TRUE(Contains(ext_[1].log, "drop 3"));
  EXPECT_GE(pair_.node(1).counters().payload_errors, 1u);
}

TEST_F(StreamExtensionTest, TermsAreUniqueToTheNodeAndIncrease) {
  pair_.StartConnected();
  uint64_t a = pair_.node(0).NewTerm(pair_.now());
  uint64_t b = pair_.node(0).NewTerm(pair_.now());
  uint64_t c = pair_.node(1).NewTerm(pair_.now());
  EXPECT_LT(a, b);
  EXPECT_EQ(a & 0xffff, 1u);
  EXPECT_EQ(b & 0xffff, 1u);
  EXPECT_EQ(c & 0xffff, 2u);
}

// A standby still receiving its bulk sync holds only part of the records: a failover then must
// not claim it held everything.
CoreConfig SlowBulkActive() {
  CoreConfig c = TestConfig(1, 200);
  c.bulk_rate = 10;  // records/s: 50 records take 5 s
  return c;
}

class SlowBulkTest : public StreamExtensionTest {
 protected:
  SlowBulkTest() : StreamExtensionTest(SlowBulkActive()) {}
};

TEST_F(SlowBulkTest, FailoverDuringTheBulkSyncDidNotHoldEverything) {
  pair_.Start(0);
  pair_.Run(1s);  // alone: active after the startup wait
  ASSERT_EQ(pair_.node(0).role(), Role::kActive);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(pair_.node(0)
                    .Put(pair_.now(), "t", "k" + std::to_string(i), "v", Durability::kAsync, 0)
                    .status.ok());
  }
  pair_.Settle();
  pair_.Start(1);
  pair_.Connect();
  pair_.Run(300ms);
  ASSERT_EQ(pair_.node(1).role(), Role::kStandby);
  ASSERT_FALSE(pair_.node(1).status().synced);
  pair_.Crash(0);
  pair_.Run(10ms);
  EXPECT_TRUE(Contains(ext_[1].log, "standby->active"));  // not "... held"
  EXPECT_FALSE(Contains(ext_[1].log, "standby->active held"));
}

}  // namespace
}  // namespace hasync::core
