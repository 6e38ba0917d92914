// Hostile or broken peer input is refused, closes the channel, changes nothing, and is counted
// in the class that names what was wrong with it (so operators can tell a misconfigured peer
// from a broken one or an attacker).
#include <gtest/gtest.h>

#include "core/node.h"
#include "pair.h"
#include "wire/wire_test_util.h"

namespace hasync::core::testing {
namespace {

using wire::testing::Bytes;
using wire::testing::EncodeOne;
using wire::testing::RawFrame;

// The hello of node 1, a valid peer for TestConfig(2, ...).
wire::Hello ValidHello() {
  wire::Hello h;
  h.node_id = 1;
  h.priority = 100;
  h.role = static_cast<uint8_t>(Role::kInit);
  h.config_digest = SharedConfigDigest(TestConfig(1, 100));
  h.cluster = "test";
  return h;
}

// A node alone with one record, its channel just up: the next bytes are the peer's first.
class InputFaultTest : public ::testing::Test {
 protected:
  InputFaultTest() : node_(TestConfig(2, 100)) {
    node_.Start(now_, 1'700'000'000'000);
    node_.OnTimer(now_ + 1s, TimerId::kStartup);  // alone: becomes active
    EXPECT_TRUE(node_.Put(now_ + 1s, "t", "k", "v", Durability::kAsync, 1, WriteIntent::kUpdate)
                    .status.ok());
    digest_ = node_.status().digest;
    node_.OnChannelUp(now_ + 1s);
  }

  // Feeds `bytes`, then checks the channel closed and nothing changed.
  const Counters& Feed(const Bytes& bytes) {
    node_.OnBytes(now_ + 1s, bytes);
    EXPECT_FALSE(node_.status().peer.connected);
    EXPECT_EQ(node_.status().digest, digest_);
    EXPECT_EQ(node_.status().role, Role::kActive);
    return node_.counters();
  }

  TimePoint now_{0};
  Node node_;
  uint64_t digest_ = 0;
};

TEST_F(InputFaultTest, BadChecksumIsAFrameError) {
  Bytes f = EncodeOne(ValidHello());
  f.back() ^= 0x01;
  EXPECT_EQ(Feed(f).frame_errors_checksum, 1u);
  EXPECT_EQ(node_.counters().protocol_errors(), 1u);
}

TEST_F(InputFaultTest, OversizedLengthIsRefusedBeforeBuffering) {
  Bytes f = RawFrame(1, 1);
  wire::StoreLE<uint32_t>(f.data(), 0x7fffffff);
  EXPECT_EQ(Feed(f).frame_errors_too_large, 1u);
}

TEST_F(InputFaultTest, WrongSequenceIsAFrameError) {
  EXPECT_EQ(Feed(EncodeOne(ValidHello(), 2)).frame_errors_sequence, 1u);
}

TEST_F(InputFaultTest, RecordsBeforeHelloAreOutOfOrder) {
  EXPECT_EQ(Feed(wire::testing::SampleBatch(1, 3)).order_errors, 1u);
}

TEST_F(InputFaultTest, TruncatedHelloPayloadIsAPayloadError) {
  Bytes payload = wire::testing::PayloadOf(EncodeOne(ValidHello()));
  payload.resize(payload.size() - 3);
  EXPECT_EQ(Feed(RawFrame(1, 1, payload)).payload_errors, 1u);
}

TEST_F(InputFaultTest, RecordOverTheKeyLimitIsALimitError) {
  Bytes stream = EncodeOne(ValidHello());
  wire::FrameWriter frames(&stream);
  wire::RecordBatchWriter batch(&frames);
  batch.Begin(2, wire::SyncKind::kIncremental, "t");
  std::string key(TestConfig(1, 100).limits.max_key_bytes + 1, 'k');
  batch.Add(wire::RecordEntry{wire::RecordOp::kUpsert, key, "v", 1, 1, 1});
  batch.Finish();
  EXPECT_EQ(Feed(stream).limit_errors, 1u);
}

TEST_F(InputFaultTest, HelloOfAnotherClusterIsCountedAsARejection) {
  wire::Hello h = ValidHello();
  h.cluster = "other";
  EXPECT_EQ(Feed(EncodeOne(h)).rejected_cluster, 1u);
  EXPECT_EQ(node_.counters().protocol_errors(), 0u);
}

TEST_F(InputFaultTest, HelloClaimingThisNodesIdIsRejected) {
  wire::Hello h = ValidHello();
  h.node_id = 2;
  EXPECT_EQ(Feed(EncodeOne(h)).rejected_node_id, 1u);
}

TEST_F(InputFaultTest, HelloOfAnotherVersionIsRejected) {
  wire::Hello h = ValidHello();
  h.version = wire::kProtocolVersion + 1;
  EXPECT_EQ(Feed(EncodeOne(h)).rejected_version, 1u);
}

TEST_F(InputFaultTest, LocalWritesRefusedAreCountedByReason) {
  std::string big(TestConfig(2, 100).limits.max_value_bytes + 1, 'v');
  EXPECT_FALSE(node_.Put(now_ + 1s, "t", "k2", big, Durability::kAsync, 2, WriteIntent::kUpdate)
                   .status.ok());
  EXPECT_FALSE(
      node_.Put(now_ + 1s, "t", "", "v", Durability::kAsync, 3, WriteIntent::kUpdate).status.ok());
  EXPECT_EQ(node_.counters().writes_refused_too_large, 1u);
  EXPECT_EQ(node_.counters().writes_refused_invalid, 1u);
  EXPECT_EQ(node_.counters().writes_refused(), 2u);
  EXPECT_EQ(node_.status().digest, digest_);
}

// A split-brain peer that yields but asks to reconcile as if this node had taken over in the
// middle of its bulk sync: the EOF of such a reconciliation erases every record below its GVN,
// which would wipe this node's records on the peer's word without a single record received
// (fuzz_node's "peer input changed an active's records").
TEST_F(InputFaultTest, InterruptedBulkReconcileThatNoBulkPrecededIsOutOfOrder) {
  wire::Hello hello = ValidHello();
  hello.role = static_cast<uint8_t>(Role::kActive);  // loses the split-brain on its node id
  Bytes stream = EncodeOne(hello, 1);
  auto add = [&](const Bytes& frame) { stream.insert(stream.end(), frame.begin(), frame.end()); };
  auto standby = static_cast<uint8_t>(Role::kStandby);
  auto reconciling = static_cast<uint8_t>(SyncState::kReconciling);
  add(EncodeOne(wire::Heartbeat{standby, reconciling, 4}, 2));
  add(EncodeOne(
      wire::SyncRequest{wire::SyncKind::kReconcile, 11, wire::ReconcileReason::kInterruptedBulk},
      3));
  add(EncodeOne(wire::BulkBegin{wire::SyncKind::kReconcile, 11, 0}, 4));
  add(EncodeOne(wire::RecordEof{wire::SyncKind::kReconcile, 11, 0, 0}, 5));
  EXPECT_EQ(Feed(stream).order_errors, 1u);
  EXPECT_EQ(node_.counters().split_brains, 1u);
  EXPECT_EQ(node_.counters().records_received, 0u);
  EXPECT_EQ(node_.counters().merge_swept, 0u);
  EXPECT_EQ(node_.status().records, 1u);
}

// Heartbeats keep the silence deadline away; without an ack deadline the active would hold
// every frame it sent to this peer forever (found by fuzz_node).
TEST(AckDeadline, PeerThatTalksButNeverAcknowledgesIsCut) {
  CoreConfig config = TestConfig(2, 100);
  config.ack_timeout = 2s;
  Node node(config);
  TimePoint now{0};
  node.Start(now, 1'700'000'000'000);
  node.OnChannelUp(now);
  node.OnBytes(now, EncodeOne(ValidHello()));
  ASSERT_TRUE(node.status().peer.connected);
  uint64_t seq = 2;
  for (int i = 0; i < 100 && node.status().peer.connected; ++i) {
    now += config.heartbeat_interval;
    node.OnTimer(now, TimerId::kHeartbeat);
    node.OnBytes(now,
                 EncodeOne(wire::Heartbeat{static_cast<uint8_t>(Role::kStandby), 0, 0}, seq++));
  }
  EXPECT_FALSE(node.status().peer.connected);
  EXPECT_EQ(node.counters().peer_timeouts, 1u);
  EXPECT_GE(now, TimePoint(2s));
  EXPECT_LE(now, TimePoint(2s) + 2 * config.heartbeat_interval);
}

}  // namespace
}  // namespace hasync::core::testing
