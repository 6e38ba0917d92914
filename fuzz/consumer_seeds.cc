#include "consumer_seeds.h"

#include <cstdint>

#include "wire/codec.h"
#include "wire/consumer_messages.h"

namespace hasync::fuzz {

using namespace wire;  // NOLINT: a seed file, every message

namespace {

constexpr uint64_t kChannel = (uint64_t{1} << 48) | 7;         // node 1's 7th channel
constexpr uint64_t kTerm = uint64_t{1700000000000} << 16 | 1;  // an HLC reading

// The payload of `frame` with the `T` at `at` set to `value`, framed again.
template <typename T>
Bytes WithPayload(const Bytes& frame, size_t at, T value) {
  Bytes payload(frame.begin() + kFrameHeaderBytes, frame.end() - kFrameTrailerBytes);
  StoreLE<T>(payload.data() + at, value);
  return RawFrame(static_cast<MsgType>(frame[4]), payload);
}

ChannelState SampleState() {
  return ChannelState{.channel = kChannel,
                      .next_op = 40,
                      .acked_op = 30,
                      .acked_term = kTerm,
                      .full_replay = false,
                      .table = "sessions",
                      .prefix = "10.1.",
                      .pending = {{31, 31, kTerm, 0x1}, {32, 35, kTerm, 0x8000000000000010}}};
}

ConsumerHello SampleHello() {
  return ConsumerHello{.version = kConsumerProtocolVersion,
                       .ack_only = false,
                       .channel = kChannel,
                       .last_op = 39,
                       .last_term = kTerm,
                       .table = "sessions",
                       .prefix = "10.1.",
                       .name = "billing exporter",
                       .ring = {{37, kTerm, 0x1}, {38, kTerm, 0x2}, {39, kTerm, 0x10}}};
}

ConsumerUpdate SampleUpdate(bool replay, bool more) {
  return ConsumerUpdate{.channel = kChannel,
                        .op = 41,
                        .term = kTerm,
                        .mask = 0x8000000000000011,
                        .replay = replay,
                        .more = more,
                        .reset = replay ? uint64_t{0x10} : uint64_t{0},
                        .records = {{4, UpdateKind::kPut, "10.1.0.1", "value-1"},
                                    {0, UpdateKind::kDelete, "10.1.0.2", ""},
                                    {63, UpdateKind::kPut, "10.1.0.3", ""}}};
}

}  // namespace

std::vector<ConsumerSeed> ConsumerSeeds() {
  ChannelState full = SampleState();
  full.full_replay = true;
  full.prefix = "";
  full.pending = {};
  ConsumerOps ops{.term = kTerm,
                  .keys_complete = true,
                  .tables = {{"sessions", {"10.1.0.1", "10.2.0.9"}}, {"nat", {"k"}}},
                  .ops = {{kChannel, 40, 0x11, true}, {kChannel + 1, 3, 0x1, false}}};
  ConsumerOps sections{.term = kTerm,
                       .keys_complete = false,
                       .tables = {},
                       .ops = {{kChannel, 40, 0xffffffffffffffff, false}}};
  ConsumerHello fresh{.version = kConsumerProtocolVersion,
                      .ack_only = false,
                      .channel = 0,
                      .last_op = 0,
                      .last_term = 0,
                      .table = "t",
                      .prefix = "",
                      .name = "",
                      .ring = {}};
  ConsumerHello ack_only = SampleHello();
  ack_only.ack_only = true;
  ConsumerHello other_version = SampleHello();
  other_version.version = kConsumerProtocolVersion + 1;
  Bytes hello = Frame(SampleHello());
  Bytes drop = Frame(ChannelDrop{kChannel, ChannelDropReason::kTimeout});
  Bytes live = Frame(SampleUpdate(false, false));
  return {
      {"channel_state", Frame(SampleState())},
      {"channel_state_full_replay", Frame(full)},
      {"channel_state_pending_above_next", WithPayload<uint64_t>(Frame(SampleState()), 8, 35)},
      {"consumer_ops", Frame(ops)},
      {"consumer_ops_sections", Frame(sections)},
      {"consumer_ops_empty",
       Frame(ConsumerOps{.term = kTerm, .keys_complete = false, .tables = {}, .ops = {}})},
      {"consumer_acks", Frame(ConsumerAcks{{{kChannel, 39, kTerm}, {kChannel + 1, 2, kTerm}}})},
      {"consumer_acks_empty", Frame(ConsumerAcks{})},
      {"channel_drop_forget_all", Frame(ChannelDrop{0, ChannelDropReason::kForgetAll})},
      {"channel_drop_timeout", drop},
      {"channel_drop_closed", Frame(ChannelDrop{kChannel, ChannelDropReason::kClosed})},
      {"channel_drop_forget_one", WithPayload<uint8_t>(drop, 8, 0)},
      {"consumer_hello", hello},
      {"consumer_hello_new", Frame(fresh)},
      {"consumer_hello_ack_only", Frame(ack_only)},
      {"consumer_hello_v2", Frame(other_version)},
      {"consumer_hello_ring_above_last_op", WithPayload<uint64_t>(hello, 11, 38)},
      {"consumer_welcome_ok",
       Frame(ConsumerWelcome{WelcomeStatus::kOk, 1, kChannel, AckMode::kForwarded, 10, ""})},
      {"consumer_welcome_direct",
       Frame(ConsumerWelcome{WelcomeStatus::kOk, 2, kChannel, AckMode::kDirect, 25, ""})},
      {"consumer_welcome_not_active",
       Frame(ConsumerWelcome{WelcomeStatus::kNotActive, 2, 0, AckMode::kForwarded, 10,
                             "node 2 is standby"})},
      {"consumer_welcome_refused",
       Frame(ConsumerWelcome{WelcomeStatus::kRefused, 1, kChannel, AckMode::kForwarded, 10,
                             "channel 281474976710663 subscribes nat, not sessions"})},
      {"consumer_update", live},
      {"consumer_update_replay", Frame(SampleUpdate(true, false))},
      {"consumer_update_fragment", Frame(SampleUpdate(true, true))},
      {"consumer_update_reset_without_replay", WithPayload<uint64_t>(live, 33, 0x10)},
      {"consumer_ack", Frame(ConsumerAck{kChannel, 41, kTerm})},
      {"consumer_ping", Frame(ConsumerPing{})},
  };
}

}  // namespace hasync::fuzz
