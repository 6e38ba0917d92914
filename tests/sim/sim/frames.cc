#include "sim/frames.h"

#include <xxhash.h>

#include <array>
#include <cstring>

#include "fmt/format.h"
#include "hasync/types.h"
#include "wire/consumer_messages.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::sim {
namespace {

template <typename T>
T Load(const uint8_t* p) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v = static_cast<T>(v | (T(p[i]) << (8 * i)));
  return v;
}

std::string_view Kind(wire::SyncKind kind) {
  switch (kind) {
    case wire::SyncKind::kIncremental:
      return "incr";
    case wire::SyncKind::kBulk:
      return "bulk";
    case wire::SyncKind::kReconcile:
      return "reconcile";
  }
  return "?";
}

std::string_view RoleByte(uint8_t role) {
  return role <= 2 ? RoleName(static_cast<Role>(role)) : "?";
}

// The consumer messages (wire/consumer_messages.h), on the sync channel and the consumers'.
std::string DescribeConsumerFrame(wire::MsgType type, wire::Payload p) {
  const wire::ConsumerLimits limits{1024, 65535, 1u << 30};
  switch (type) {
    case wire::MsgType::kChannelState:
      if (auto m = wire::DecodeChannelState(p, limits); m.ok()) {
        return fmt::format(" ch {:#x} next {} acked {} pending {}{}", m->channel, m->next_op,
                           m->acked_op, m->pending.size(), m->full_replay ? " full" : "");
      }
      break;
    case wire::MsgType::kConsumerOps:
      if (auto m = wire::DecodeConsumerOps(p, limits); m.ok()) {
        return fmt::format(" term {} ops {}{}", m->term, m->ops.size(),
                           m->keys_complete ? " keyed" : "");
      }
      break;
    case wire::MsgType::kConsumerAcks:
      if (auto m = wire::DecodeConsumerAcks(p); m.ok()) return fmt::format(" x{}", m->acks.size());
      break;
    case wire::MsgType::kChannelDrop:
      if (auto m = wire::DecodeChannelDrop(p); m.ok()) {
        return fmt::format(" ch {:#x} reason {}", m->channel, static_cast<int>(m->reason));
      }
      break;
    case wire::MsgType::kConsumerHello:
      if (auto m = wire::DecodeConsumerHello(p, limits); m.ok()) {
        return fmt::format(" ch {:#x} last op {} term {} ring {}{}", m->channel, m->last_op,
                           m->last_term, m->ring.size(), m->ack_only ? " ack-only" : "");
      }
      break;
    case wire::MsgType::kConsumerWelcome:
      if (auto m = wire::DecodeConsumerWelcome(p); m.ok()) {
        return fmt::format(" status {} node {} ch {:#x}", static_cast<int>(m->status), m->node_id,
                           m->channel);
      }
      break;
    case wire::MsgType::kConsumerUpdate:
      if (auto m = wire::DecodeConsumerUpdate(p, limits); m.ok()) {
        return fmt::format(" ch {:#x} op {} term {} mask {:#x}{} x{}{}", m->channel, m->op, m->term,
                           m->mask, m->replay ? fmt::format(" replay reset {:#x}", m->reset) : "",
                           m->records.size(), m->more ? " more" : "");
      }
      break;
    case wire::MsgType::kConsumerAck:
      if (auto m = wire::DecodeConsumerAck(p); m.ok()) {
        return fmt::format(" ch {:#x} op {} term {}", m->channel, m->op, m->term);
      }
      break;
    default:
      break;
  }
  return "";
}

}  // namespace

std::vector<Frame> FrameScanner::Feed(std::span<const uint8_t> bytes) {
  std::vector<Frame> frames;
  if (!error_.empty()) return frames;
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
  size_t pos = 0;
  while (buf_.size() - pos >= 4) {
    const uint8_t* f = buf_.data() + pos;
    const uint32_t length = Load<uint32_t>(f);
    const size_t total = size_t{4} + length;
    if (length < wire::kFrameOverheadBytes - 4 || total > wire::kDefaultMaxFrameBytes) {
      error_ = fmt::format("frame of length {} at seq {}", length, next_seq_);
      break;
    }
    if (buf_.size() - pos < total) break;
    const uint8_t type = f[4];
    const uint64_t seq = Load<uint64_t>(f + 8);
    if (XXH3_64bits(f + 4, total - 4 - wire::kFrameTrailerBytes) !=
        Load<uint64_t>(f + total - wire::kFrameTrailerBytes)) {
      error_ = fmt::format("bad checksum on frame seq {}", seq);
    } else if (type == 0 || type > wire::kMaxMsgType || f[5] != 0 || f[6] != 0 || f[7] != 0) {
      error_ = fmt::format("bad header (type {}, flags {}) on frame seq {}", type, f[5], seq);
    } else if (seq != next_seq_) {
      error_ = fmt::format("frame seq {} where {} was due", seq, next_seq_);
    }
    if (!error_.empty()) break;
    ++next_seq_;
    frames.push_back(Frame{static_cast<wire::MsgType>(type), seq, {f, f + total}});
    pos += total;
  }
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
  return frames;
}

std::string_view MsgName(wire::MsgType type) {
  static constexpr std::array<std::string_view, wire::kMaxMsgType + 1> kNames = {
      "?",
      "hello",
      "heartbeat",
      "records",
      "bulk-begin",
      "eof",
      "ack",
      "switchover-request",
      "switchover-response",
      "sync-request",
      "sync-response",
      "goodbye",
      "channel-state",
      "consumer-ops",
      "consumer-acks",
      "channel-drop",
      "consumer-hello",
      "consumer-welcome",
      "consumer-update",
      "consumer-ack",
      "consumer-ping"};
  auto i = static_cast<size_t>(type);
  return i < kNames.size() ? kNames[i] : "?";
}

std::string DescribeFrame(const Frame& frame) {
  const wire::Payload p = frame.payload();
  std::string what;
  switch (frame.type) {
    case wire::MsgType::kHello:
      if (auto m = wire::DecodeHello(p); m.ok()) {
        what = fmt::format(" {} prio {} gvn {} active {}ms hlc {}", RoleByte(m->role), m->priority,
                           m->gvn, m->active_ms, m->hlc);
      }
      break;
    case wire::MsgType::kHeartbeat:
      if (auto m = wire::DecodeHeartbeat(p); m.ok()) {
        what = fmt::format(" {} sync {} gvn {}", RoleByte(m->role), m->sync_state, m->gvn);
      }
      break;
    case wire::MsgType::kRecords:
      if (auto m = wire::DecodeRecordBatch(p, wire::BatchLimits{}); m.ok()) {
        what = fmt::format(" {} {} x{}", Kind(m->kind()), m->table(), m->count());
      }
      break;
    case wire::MsgType::kBulkBegin:
      if (auto m = wire::DecodeBulkBegin(p); m.ok()) {
        what = fmt::format(" {} gvn {} total {}", Kind(m->kind), m->gvn, m->total);
      }
      break;
    case wire::MsgType::kRecordEof:
      if (auto m = wire::DecodeRecordEof(p); m.ok()) {
        what = fmt::format(" {} gvn {} sent {} digest {:016x}", Kind(m->kind), m->gvn, m->sent,
                           m->digest);
      }
      break;
    case wire::MsgType::kSwitchoverRequest:
      if (auto m = wire::DecodeSwitchoverRequest(p); m.ok()) {
        what = fmt::format(" gvn {} hlc {}{}", m->gvn, m->hlc, m->reconcile ? " reconcile" : "");
      }
      break;
    case wire::MsgType::kSyncRequest:
      if (auto m = wire::DecodeSyncRequest(p); m.ok()) {
        static constexpr std::array<std::string_view, 3> kReasons = {
            "interrupted bulk", "split-brain", "interrupted reconciliation"};
        what = fmt::format(" gvn {} reason {}", m->gvn, kReasons[static_cast<size_t>(m->reason)]);
      }
      break;
    case wire::MsgType::kSyncResponse:
      if (auto m = wire::DecodeSyncResponse(p); m.ok()) {
        what = fmt::format(" {} gvn {}", m->accepted ? "accepted" : "refused", m->gvn);
      }
      break;
    case wire::MsgType::kAck:
      if (auto m = wire::DecodeAck(p); m.ok()) what = fmt::format(" {}", m->seq);
      break;
    case wire::MsgType::kSwitchoverResponse:
      if (auto m = wire::DecodeSwitchoverResponse(p); m.ok()) {
        what = m->accepted ? " accepted" : fmt::format(" refused {}", int(m->reason));
      }
      break;
    default:
      what = DescribeConsumerFrame(frame.type, p);
      break;
  }
  return fmt::format("{}{} #{} ({}B)", MsgName(frame.type), what, frame.seq, frame.bytes.size());
}

}  // namespace hasync::sim
