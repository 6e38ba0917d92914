// What a broken or hostile node can do to a session: close that connection, count it, resume.
#include <gtest/gtest.h>

#include "scripted_node.h"
#include "wire/codec.h"

namespace hasync::consumer::testing {
namespace {

constexpr uint64_t kChannel = 0x30003;

SessionConfig Config() {
  SessionConfig c;
  c.endpoints = 2;
  c.table = "nat";
  return c;
}

// A well-framed message of `type` whose payload is `payload`.
std::vector<uint8_t> RawFrame(wire::MsgType type, uint64_t seq, std::vector<uint8_t> payload) {
  std::vector<uint8_t> bytes;
  wire::FrameWriter writer(&bytes);
  writer.Begin(type, seq);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  writer.Finish();
  return bytes;
}

class SessionErrors : public ::testing::Test {
 protected:
  SessionErrors() : n(Config()) {
    n.Start();
    n.Subscribe(0, kChannel);
    n.SendUpdate(0, {.channel = kChannel, .op = 4}, {Put("a", "1")});
  }
  // The connection to node 0 was closed as a protocol error, and the session resumes on node 1
  // from what it held.
  void ExpectProtocolErrorThenResume() {
    EXPECT_EQ(n.closes, std::vector<size_t>{0});
    EXPECT_EQ(n.session().status().protocol_errors, 1u);
    ASSERT_EQ(n.dials, (std::vector<size_t>{0, 1}));
    n.Accept(1);
    EXPECT_EQ(n.NextHello(1).last_op, 4u);
    n.SendWelcome(1, wire::WelcomeStatus::kOk, kChannel);
    n.SendUpdate(1, {.channel = kChannel, .op = 5}, {Put("b", "2")});
    EXPECT_EQ(n.session().status().last_op, 5u);
    EXPECT_EQ(n.applied.size(), 2u);
  }
  ScriptedNodes n;
};

TEST_F(SessionErrors, CorruptChecksum) {
  std::vector<uint8_t> frame = RawFrame(wire::MsgType::kConsumerPing, 3, {});
  frame.back() ^= 1;
  n.SendRaw(0, frame);
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, FrameLongerThanTheLimitIsRefusedBeforeItsBody) {
  std::vector<uint8_t> length(4);
  wire::StoreLE<uint32_t>(length.data(), 64u << 20);
  n.SendRaw(0, length);
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, FrameOutOfSequence) {
  n.SendRaw(0, RawFrame(wire::MsgType::kConsumerPing, 9, {}));
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, MessageANodeNeverSends) {
  n.SendRaw(0, RawFrame(wire::MsgType::kConsumerAck, 3, std::vector<uint8_t>(24, 0)));
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, TruncatedUpdate) {
  n.SendRaw(0, RawFrame(wire::MsgType::kConsumerUpdate, 3, {1, 2, 3}));
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, SecondWelcome) {
  n.SendWelcome(0, wire::WelcomeStatus::kOk, kChannel);
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, UpdateNotAboveTheLastOpApplied) {
  n.SendUpdate(0, {.channel = kChannel, .op = 4}, {Put("a", "2")});
  ExpectProtocolErrorThenResume();
  EXPECT_EQ(n.applied[0].changes[0].value, "1");
}

TEST_F(SessionErrors, UpdateOfAnotherChannel) {
  n.SendUpdate(0, {.channel = kChannel + 1, .op = 9}, {Put("a", "2")});
  ExpectProtocolErrorThenResume();
}

TEST_F(SessionErrors, FragmentOfAnotherOpWhileOneIsIncomplete) {
  n.SendUpdate(0, {.channel = kChannel, .op = 5, .more = true}, {Put("x", "1")});
  n.SendUpdate(0, {.channel = kChannel, .op = 6}, {Put("y", "1")});
  ExpectProtocolErrorThenResume();
  EXPECT_EQ(n.session().index().count("x"), 0u);
}

TEST_F(SessionErrors, FragmentThatChangesTheOpsHeader) {
  n.SendUpdate(0, {.channel = kChannel, .op = 5, .more = true}, {Put("x", "1")});
  n.SendUpdate(0, {.channel = kChannel, .op = 5, .replay = true, .reset = 1}, {Put("y", "1")});
  ExpectProtocolErrorThenResume();
}

TEST(SessionErrorsBeforeWelcome, UpdateBeforeTheWelcome) {
  ScriptedNodes n(Config());
  n.Start();
  n.Accept(0);
  n.SendUpdate(0, {.channel = kChannel, .op = 1}, {Put("a", "1")});
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
  EXPECT_TRUE(n.applied.empty());
}

TEST(SessionErrorsBeforeWelcome, GarbageIsCountedOncePerConnection) {
  ScriptedNodes n(Config());
  n.Start();
  n.Accept(0);
  n.SendRaw(0, std::vector<uint8_t>(100, 0xee));
  n.SendRaw(0, std::vector<uint8_t>(100, 0xee));  // closed: ignored
  EXPECT_EQ(n.session().status().protocol_errors, 1u);
  EXPECT_EQ(n.closes, std::vector<size_t>{0});
}

}  // namespace
}  // namespace hasync::consumer::testing
