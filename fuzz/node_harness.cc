#include "node_harness.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <variant>

#include "node_input.h"
#include "wire/consumer_messages.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::fuzz {
namespace {

// More timer expiries than this within one Advance, with few pieces of input and small spans,
// means a timer re-arms itself without time moving on.
constexpr int kMaxTimerFires = 100000;

// Control frames (heartbeats, bulk begin, EOF, switchover, sync) a node may have sent above its
// unacked bound before the peer's acks are due: a few heartbeat intervals' worth.
constexpr size_t kControlSlackBytes = 4096;

wire::ConsumerLimits ConsumerLimitsOf(const core::CoreConfig& config) {
  return wire::ConsumerLimits{.max_table_name_bytes = config.limits.max_table_name_bytes,
                              .max_key_bytes = config.limits.max_key_bytes,
                              .max_value_bytes = config.limits.max_value_bytes};
}

bool Decodes(wire::MsgType type, wire::Payload p, const core::CoreConfig& config) {
  using namespace wire;  // NOLINT: every decoder
  switch (type) {
    case MsgType::kHello:
      return DecodeHello(p).ok();
    case MsgType::kHeartbeat:
      return DecodeHeartbeat(p).ok();
    case MsgType::kRecords: {
      BatchLimits limits;
      limits.max_key_bytes = config.limits.max_key_bytes;
      limits.max_value_bytes = config.limits.max_value_bytes;
      limits.max_table_name_bytes = config.limits.max_table_name_bytes;
      return DecodeRecordBatch(p, limits).ok();
    }
    case MsgType::kBulkBegin:
      return DecodeBulkBegin(p).ok();
    case MsgType::kRecordEof:
      return DecodeRecordEof(p).ok();
    case MsgType::kAck:
      return DecodeAck(p).ok();
    case MsgType::kSwitchoverRequest:
      return DecodeSwitchoverRequest(p).ok();
    case MsgType::kSwitchoverResponse:
      return DecodeSwitchoverResponse(p).ok();
    case MsgType::kSyncRequest:
      return DecodeSyncRequest(p).ok();
    case MsgType::kSyncResponse:
      return DecodeSyncResponse(p).ok();
    case MsgType::kGoodbye:
      return DecodeGoodbye(p).ok();
    // The replay stream, which a stream extension (the publisher) adds to the channel.
    case MsgType::kChannelState:
      return DecodeChannelState(p, ConsumerLimitsOf(config)).ok();
    case MsgType::kConsumerOps:
      return DecodeConsumerOps(p, ConsumerLimitsOf(config)).ok();
    case MsgType::kConsumerAcks:
      return DecodeConsumerAcks(p).ok();
    case MsgType::kChannelDrop:
      return DecodeChannelDrop(p).ok();
    case MsgType::kConsumerHello:
    case MsgType::kConsumerWelcome:
    case MsgType::kConsumerUpdate:
    case MsgType::kConsumerAck:
    case MsgType::kConsumerPing:
      return false;  // the consumer port's messages have no business on the sync channel
  }
  return false;
}

}  // namespace

void Require(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz_node: check failed: %s\n", what);
  std::abort();
}

NodeHarness::NodeHarness(const core::CoreConfig& config)
    : config_(config),
      node_(config),
      sent_(core::MaxFrameBytes(config)),
      trace_(std::getenv("FUZZ_NODE_TRACE") != nullptr) {
  timers_.fill(core::kNever);
}

void NodeHarness::Start() {
  node_.Start(now_, kWallMs);
  Settle();
}

void NodeHarness::ChannelUp() {
  channel_up_ = true;
  left_active_ = node_.status().role != Role::kActive;
  sent_ = wire::FrameReader(core::MaxFrameBytes(config_));
  node_.OnChannelUp(now_);
  Settle();
}

void NodeHarness::Bytes(std::span<const uint8_t> bytes) {
  node_.OnBytes(now_, bytes);
  Settle();
}

void NodeHarness::Advance(core::Duration span) {
  core::TimePoint end = now_ + span;
  for (int fired = 0;; ++fired) {
    Require(fired < kMaxTimerFires, "timers keep firing without virtual time moving on");
    auto next = std::min_element(timers_.begin(), timers_.end());
    if (*next > end) break;
    now_ = std::max(now_, *next);
    *next = core::kNever;
    node_.OnTimer(now_, static_cast<core::TimerId>(next - timers_.begin()));
    Settle();
  }
  now_ = end;
}

void NodeHarness::Settle() {
  node_.Flush(now_);
  core::Effects& fx = node_.effects();
  for (const core::TimerRequest& t : fx.timers) timers_[static_cast<size_t>(t.id)] = t.deadline;
  if (!fx.send.empty()) {
    Require(channel_up_, "the node sent bytes on a closed channel");
    CheckSent(fx.send);
  }
  for (const core::Event& e : fx.events) {
    if (const auto* line = std::get_if<core::LogLine>(&e); line && trace_) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now_).count();
      std::fprintf(stderr, "%6lld ms  %s\n", static_cast<long long>(ms), line->text.c_str());
    }
    if (std::holds_alternative<core::CloseChannel>(e)) channel_up_ = false;
    if (const auto* r = std::get_if<core::RoleChanged>(&e); r && r->to != Role::kActive) {
      left_active_ = true;
    }
  }
  fx.clear();
  size_t entry = wire::kRecordEntryHeaderBytes + config_.limits.max_key_bytes +
                 config_.limits.max_value_bytes + config_.limits.max_table_name_bytes;
  size_t bound = config_.max_unacked_bytes +
                 std::min(config_.max_batch_bytes, core::kMaxBatchBytes) + entry +
                 wire::kFrameOverheadBytes + kControlSlackBytes;
  Require(node_.status().unacked_bytes <= bound,
          "unacknowledged bytes past max_unacked_bytes: the node queues instead of resyncing");
}

void NodeHarness::CheckSent(std::span<const uint8_t> bytes) {
  sent_.Feed(bytes);
  for (;;) {
    Result<wire::FrameView> frame = sent_.Next();
    if (!frame.ok()) {
      Require(frame.status().code() == Code::kNotFound, "the node sent a malformed frame");
      return;
    }
    Require(Decodes(frame->type, frame->payload, config_),
            "the node sent a payload its own decoder refuses");
  }
}

}  // namespace hasync::fuzz
