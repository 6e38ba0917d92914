// Encoders and decoders of the replay-stream and consumer messages, one pair per message in
// MsgType order, and the UpdateWriter. Each decoder reads every field through a PayloadReader (a
// short payload is an error, not a crash), checks the ranges documented in consumer_messages.h,
// then insists the payload was used up exactly; only a consumer hello of another version stops
// after its version (as DecodeHello does). Every count is checked against the bytes left before
// anything is reserved for it: each entry takes at least its smallest encoding, so a hostile
// count is refused, never allocated.
#include "wire/consumer_messages.h"

#include <cstring>
#include <limits>

#include "fmt/format.h"
#include "wire/message_codec.h"

namespace hasync::wire {
namespace {

// Offsets within an update's header and its records (see consumer_messages.h).
constexpr size_t kUpdateFlagsAt = 32;
constexpr size_t kUpdateCountAt = 41;
static_assert(kUpdateCountAt + sizeof(uint32_t) == kUpdateHeaderBytes);
constexpr size_t kSectionAt = 0;
constexpr size_t kKindAt = 1;
constexpr size_t kKeyLenAt = 2;
constexpr size_t kValueLenAt = 4;
static_assert(kValueLenAt + sizeof(uint32_t) == kUpdateRecordHeaderBytes);

// The smallest encodings of the repeated parts, which bound what a count may claim.
constexpr size_t kPendingRangeBytes = 32;
constexpr size_t kMinTableKeysBytes = 2 + 1 + 4;  // a one-byte name, the key count
constexpr size_t kMinKeyBytes = 2 + 1;
constexpr size_t kOpEntryBytes = 25;
constexpr size_t kAckEntryBytes = 24;
constexpr size_t kResumeEntryBytes = 24;
constexpr size_t kMinUpdateRecordBytes = kUpdateRecordHeaderBytes + 1;  // a one-byte key

constexpr uint8_t kConsumerOpKeyed = 1;  // flag bit 0 of an op entry

// Table names end up in logs, metrics labels and the control API: printable, no spaces (the
// rule of record_batch.cc, whose batches carry the same names).
std::string_view ReadTableName(PayloadReader& r, const char* field, const ConsumerLimits& limits) {
  std::string_view name = r.String16(field, 1, limits.max_table_name_bytes);
  CheckPrintable(r, field, name, '!');
  return name;
}

}  // namespace

void Encode(FrameWriter& w, uint64_t seq, const ChannelState& m) {
  w.Begin(MsgType::kChannelState, seq);
  PutU64(w, m.channel);
  PutU64(w, m.next_op);
  PutU64(w, m.acked_op);
  PutU64(w, m.acked_term);
  PutU8(w, m.full_replay ? kChannelStateFullReplay : 0);
  PutString16(w.out(), m.table);
  PutString16(w.out(), m.prefix);
  PutU32(w, CountOrDie<uint32_t>(m.pending.size(), "more than 2^32-1 pending ranges"));
  for (const PendingRange& e : m.pending) {
    PutU64(w, e.first_op);
    PutU64(w, e.last_op);
    PutU64(w, e.term);
    PutU64(w, e.mask);
  }
  w.Finish();
}

Result<ChannelState> DecodeChannelState(Payload p, const ConsumerLimits& limits) {
  PayloadReader r(p, "channel state");
  ChannelState m;
  m.channel = r.U64("channel");
  m.next_op = r.U64("next_op");
  m.acked_op = r.U64("acked_op");
  m.acked_term = r.U64("acked_term");
  uint8_t flags = r.U8("flags");
  CheckNonZero(r, "channel", m.channel);
  CheckFlags(r, flags, kChannelStateFullReplay);
  m.full_replay = (flags & kChannelStateFullReplay) != 0;
  m.table = ReadTableName(r, "table", limits);
  m.prefix = r.String16("prefix", 0, limits.max_key_bytes);
  uint32_t count = r.U32("count");
  if (!CountFits(r, "count", count, kPendingRangeBytes)) return r.status();
  m.pending.reserve(count);
  // The ranges are disjoint and ascending, all between what was acknowledged and what is next.
  for (uint32_t i = 0; i < count; ++i) {
    PendingRange e;
    e.first_op = r.U64("first_op");
    e.last_op = r.U64("last_op");
    e.term = r.U64("term");
    e.mask = r.U64("mask");
    uint64_t floor = i == 0 ? m.acked_op : m.pending.back().last_op;
    if (r.ok() && e.first_op <= floor) {
      r.Invalid(fmt::format("pending {}: first_op {} not above {} {}", i, e.first_op,
                            i == 0 ? "acked_op" : "the previous last_op", floor));
    }
    if (r.ok() && e.last_op < e.first_op) {
      r.Invalid(fmt::format("pending {}: last_op {} below first_op {}", i, e.last_op, e.first_op));
    }
    if (r.ok() && e.last_op >= m.next_op) {
      r.Invalid(
          fmt::format("pending {}: last_op {} not below next_op {}", i, e.last_op, m.next_op));
    }
    if (!r.ok()) return r.status();
    m.pending.push_back(e);
  }
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerOps& m) {
  w.Begin(MsgType::kConsumerOps, seq);
  PutU64(w, m.term);
  PutU8(w, m.keys_complete ? kConsumerOpsKeysComplete : 0);
  PutU16(w, CountOrDie<uint16_t>(m.tables.size(), "more than 65535 tables in consumer ops"));
  for (const TableKeys& t : m.tables) {
    PutString16(w.out(), t.table);
    PutU32(w, CountOrDie<uint32_t>(t.keys.size(), "more than 2^32-1 keys in one table"));
    for (const std::string& key : t.keys) PutString16(w.out(), key);
  }
  PutU32(w, CountOrDie<uint32_t>(m.ops.size(), "more than 2^32-1 ops in consumer ops"));
  for (const ConsumerOps::Op& op : m.ops) {
    PutU64(w, op.channel);
    PutU64(w, op.op);
    PutU64(w, op.mask);
    PutU8(w, op.keyed ? kConsumerOpKeyed : 0);
  }
  w.Finish();
}

Result<ConsumerOps> DecodeConsumerOps(Payload p, const ConsumerLimits& limits) {
  PayloadReader r(p, "consumer ops");
  ConsumerOps m;
  m.term = r.U64("term");
  uint8_t flags = r.U8("flags");
  CheckFlags(r, flags, kConsumerOpsKeysComplete);
  m.keys_complete = (flags & kConsumerOpsKeysComplete) != 0;
  uint16_t tables = r.U16("table count");
  if (!CountFits(r, "table count", tables, kMinTableKeysBytes)) return r.status();
  m.tables.reserve(tables);
  for (uint16_t i = 0; i < tables; ++i) {
    TableKeys& t = m.tables.emplace_back();
    t.table = ReadTableName(r, "table", limits);
    uint32_t keys = r.U32("key count");
    if (!CountFits(r, "key count", keys, kMinKeyBytes)) return r.status();
    t.keys.reserve(keys);
    for (uint32_t k = 0; k < keys && r.ok(); ++k) {
      t.keys.emplace_back(r.String16("key", 1, limits.max_key_bytes));
    }
  }
  uint32_t ops = r.U32("op count");
  if (!CountFits(r, "op count", ops, kOpEntryBytes)) return r.status();
  m.ops.reserve(ops);
  for (uint32_t i = 0; i < ops; ++i) {
    ConsumerOps::Op& op = m.ops.emplace_back();
    op.channel = r.U64("channel");
    op.op = r.U64("op");
    op.mask = r.U64("mask");
    uint8_t op_flags = r.U8("op flags");
    if (r.ok() && op.channel == 0)
      r.Invalid(fmt::format("op {}: channel is 0, must be non-zero", i));
    if (r.ok() && op.op == 0) r.Invalid(fmt::format("op {}: op is 0, must be non-zero", i));
    if (r.ok() && (op_flags & ~kConsumerOpKeyed) != 0) {
      r.Invalid(fmt::format("op {}: flags 0x{:02x} set reserved bits", i, op_flags));
    }
    op.keyed = (op_flags & kConsumerOpKeyed) != 0;
    // A keyed op is replayed from the frame's keys, which only a complete key list makes safe.
    if (r.ok() && op.keyed && !m.keys_complete) {
      r.Invalid(fmt::format("op {}: keyed, but the frame's keys are not complete", i));
    }
    if (!r.ok()) return r.status();
  }
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerAcks& m) {
  w.Begin(MsgType::kConsumerAcks, seq);
  PutU32(w, CountOrDie<uint32_t>(m.acks.size(), "more than 2^32-1 consumer acks"));
  for (const ConsumerAcks::Ack& a : m.acks) {
    PutU64(w, a.channel);
    PutU64(w, a.op);
    PutU64(w, a.term);
  }
  w.Finish();
}

Result<ConsumerAcks> DecodeConsumerAcks(Payload p) {
  PayloadReader r(p, "consumer acks");
  ConsumerAcks m;
  uint32_t count = r.U32("count");
  if (!CountFits(r, "count", count, kAckEntryBytes)) return r.status();
  m.acks.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    ConsumerAcks::Ack& a = m.acks.emplace_back();
    a.channel = r.U64("channel");
    a.op = r.U64("op");
    a.term = r.U64("term");
    if (r.ok() && a.channel == 0) {
      r.Invalid(fmt::format("ack {}: channel is 0, must be non-zero", i));
      return r.status();
    }
  }
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const ChannelDrop& m) {
  w.Begin(MsgType::kChannelDrop, seq);
  PutU64(w, m.channel);
  PutU8(w, static_cast<uint8_t>(m.reason));
  w.Finish();
}

Result<ChannelDrop> DecodeChannelDrop(Payload p) {
  PayloadReader r(p, "channel drop");
  ChannelDrop m;
  m.channel = r.U64("channel");
  uint8_t reason = r.U8("reason");
  CheckMax(r, "reason", reason, static_cast<uint8_t>(ChannelDropReason::kClosed));
  // Channel 0 stands for "every channel", which only forgetting them all can mean.
  if (r.ok() && reason == static_cast<uint8_t>(ChannelDropReason::kForgetAll) && m.channel != 0) {
    r.Invalid(fmt::format("channel is {}, must be 0 with reason 0 (forget all)", m.channel));
  }
  if (r.ok() && reason != static_cast<uint8_t>(ChannelDropReason::kForgetAll) && m.channel == 0) {
    r.Invalid(fmt::format("channel is 0, must be non-zero with reason {}", reason));
  }
  m.reason = static_cast<ChannelDropReason>(reason);
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerHello& m) {
  w.Begin(MsgType::kConsumerHello, seq);
  PutU16(w, m.version);
  PutU8(w, m.ack_only ? kHelloAckOnly : 0);
  PutU64(w, m.channel);
  PutU64(w, m.last_op);
  PutU64(w, m.last_term);
  PutString16(w.out(), m.table);
  PutString16(w.out(), m.prefix);
  PutString16(w.out(), m.name);
  PutU16(w, CountOrDie<uint16_t>(m.ring.size(), "more than 65535 resume ring entries"));
  for (const ResumeEntry& e : m.ring) {
    PutU64(w, e.op);
    PutU64(w, e.term);
    PutU64(w, e.mask);
  }
  w.Finish();
}

Result<ConsumerHello> DecodeConsumerHello(Payload p, const ConsumerLimits& limits) {
  PayloadReader r(p, "consumer hello");
  ConsumerHello m;
  m.version = r.U16("version");
  // Another version lays out the rest as it likes: reading on would turn a clear "consumer
  // speaks version N" into a misleading complaint about some later field.
  if (r.ok() && m.version != kConsumerProtocolVersion) return m;
  uint8_t flags = r.U8("flags");
  m.channel = r.U64("channel");
  m.last_op = r.U64("last_op");
  m.last_term = r.U64("last_term");
  CheckFlags(r, flags, kHelloAckOnly);
  m.ack_only = (flags & kHelloAckOnly) != 0;
  m.table = ReadTableName(r, "table", limits);
  m.prefix = r.String16("prefix", 0, limits.max_key_bytes);
  m.name = r.String16("name", 0, kMaxConsumerNameBytes);
  CheckPrintable(r, "name", m.name, ' ');
  uint16_t ring = r.U16("ring count");
  if (r.ok() && ring > kMaxResumeRingEntries) {
    r.Invalid(fmt::format("ring count {} over limit {}", ring, kMaxResumeRingEntries));
  }
  if (!CountFits(r, "ring count", ring, kResumeEntryBytes)) return r.status();
  m.ring.reserve(ring);
  // Oldest first, ending at or below the last op applied.
  for (uint16_t i = 0; i < ring; ++i) {
    ResumeEntry e;
    e.op = r.U64("op");
    e.term = r.U64("term");
    e.mask = r.U64("mask");
    if (r.ok() && e.op == 0) r.Invalid(fmt::format("ring {}: op is 0, must be non-zero", i));
    if (r.ok() && i > 0 && e.op <= m.ring.back().op) {
      r.Invalid(
          fmt::format("ring {}: op {} not above the previous op {}", i, e.op, m.ring.back().op));
    }
    if (r.ok() && e.op > m.last_op) {
      r.Invalid(fmt::format("ring {}: op {} above last_op {}", i, e.op, m.last_op));
    }
    if (!r.ok()) return r.status();
    m.ring.push_back(e);
  }
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerWelcome& m) {
  w.Begin(MsgType::kConsumerWelcome, seq);
  PutU8(w, static_cast<uint8_t>(m.status));
  PutU16(w, m.node_id);
  PutU64(w, m.channel);
  PutU8(w, static_cast<uint8_t>(m.ack_mode));
  PutU32(w, m.ack_interval_ms);
  // The text is often built from an error message of any length; a shortened explanation beats
  // a welcome the consumer must reject.
  PutString16(w.out(), std::string_view(m.text).substr(0, kMaxWelcomeTextBytes));
  w.Finish();
}

Result<ConsumerWelcome> DecodeConsumerWelcome(Payload p) {
  PayloadReader r(p, "consumer welcome");
  ConsumerWelcome m;
  uint8_t status = r.U8("status");
  m.node_id = r.U16("node_id");
  m.channel = r.U64("channel");
  uint8_t ack_mode = r.U8("ack_mode");
  m.ack_interval_ms = r.U32("ack_interval_ms");
  m.text = r.String16("text", 0, kMaxWelcomeTextBytes);
  CheckMax(r, "status", status, static_cast<uint8_t>(WelcomeStatus::kRefused));
  CheckMax(r, "ack_mode", ack_mode, static_cast<uint8_t>(AckMode::kDirect));
  m.status = static_cast<WelcomeStatus>(status);
  m.ack_mode = static_cast<AckMode>(ack_mode);
  return Done(r, std::move(m));
}

void UpdateWriter::Begin(uint64_t seq, const ConsumerUpdate& header) {
  CheckOrDie(!open_, "UpdateWriter::Begin with an update already open");
  frames_->Begin(MsgType::kConsumerUpdate, seq);
  std::vector<uint8_t>& out = frames_->out();
  PutLE<uint64_t>(out, header.channel);
  PutLE<uint64_t>(out, header.op);
  PutLE<uint64_t>(out, header.term);
  PutLE<uint64_t>(out, header.mask);
  PutLE<uint8_t>(out, static_cast<uint8_t>((header.replay ? kUpdateReplay : 0) |
                                           (header.more ? kUpdateMore : 0)));
  PutLE<uint64_t>(out, header.reset);
  count_offset_ = out.size();
  PutLE<uint32_t>(out, 0);  // count, patched by Finish()
  count_ = 0;
  open_ = true;
}

void UpdateWriter::Add(const UpdateRecord& record) {
  CheckOrDie(open_, "UpdateWriter::Add without Begin");
  CheckOrDie(record.kind == UpdateKind::kPut || record.kind == UpdateKind::kDelete,
             "bad update record kind");
  CheckOrDie(!record.key.empty() && record.key.size() <= UINT16_MAX, "key length not in 1..65535");
  CheckOrDie(record.value.size() <= UINT32_MAX, "value longer than 4 GiB");
  CheckOrDie(record.kind == UpdateKind::kPut || record.value.empty(), "delete with a value");
  CheckOrDie(count_ < UINT32_MAX, "more than 2^32-1 records in one update");
  std::vector<uint8_t>& out = frames_->out();
  size_t at = out.size();
  // One resize and one copy of each part: no temporary, and the vector grows geometrically.
  out.resize(at + kUpdateRecordHeaderBytes + record.key.size() + record.value.size());
  uint8_t* e = out.data() + at;
  e[kSectionAt] = record.section;
  e[kKindAt] = static_cast<uint8_t>(record.kind);
  StoreLE<uint16_t>(e + kKeyLenAt, static_cast<uint16_t>(record.key.size()));
  StoreLE<uint32_t>(e + kValueLenAt, static_cast<uint32_t>(record.value.size()));
  e += kUpdateRecordHeaderBytes;
  std::memcpy(e, record.key.data(), record.key.size());
  if (!record.value.empty()) {
    std::memcpy(e + record.key.size(), record.value.data(), record.value.size());
  }
  ++count_;
}

void UpdateWriter::Finish(bool more) {
  CheckOrDie(open_, "UpdateWriter::Finish without Begin");
  std::vector<uint8_t>& out = frames_->out();
  if (more) out[count_offset_ - kUpdateCountAt + kUpdateFlagsAt] |= kUpdateMore;
  StoreLE<uint32_t>(out.data() + count_offset_, count_);
  frames_->Finish();
  open_ = false;
}

size_t UpdateWriter::bytes() const { return open_ ? frames_->open_payload_bytes() : 0; }

void Encode(FrameWriter& w, uint64_t seq, const ConsumerUpdate& m) {
  UpdateWriter writer(&w);
  writer.Begin(seq, m);
  for (const UpdateRecord& record : m.records) writer.Add(record);
  writer.Finish();
}

Result<ConsumerUpdate> DecodeConsumerUpdate(Payload p, const ConsumerLimits& limits) {
  PayloadReader r(p, "consumer update");
  ConsumerUpdate m;
  m.channel = r.U64("channel");
  m.op = r.U64("op");
  m.term = r.U64("term");
  m.mask = r.U64("mask");
  uint8_t flags = r.U8("flags");
  m.reset = r.U64("reset");
  uint32_t count = r.U32("count");
  CheckNonZero(r, "channel", m.channel);
  CheckNonZero(r, "op", m.op);
  CheckFlags(r, flags, kUpdateReplay | kUpdateMore);
  m.replay = (flags & kUpdateReplay) != 0;
  m.more = (flags & kUpdateMore) != 0;
  // Only a replay replaces sections; a live update that claimed to would erase records.
  if (r.ok() && !m.replay && m.reset != 0) {
    r.Invalid(fmt::format("reset is 0x{:016x} without the replay flag, must be 0", m.reset));
  }
  if (!CountFits(r, "count", count, kMinUpdateRecordBytes)) return r.status();
  m.records.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    // The whole record is checked here, so a record never half-read names its index.
    if (r.remaining() < kUpdateRecordHeaderBytes) {
      r.Invalid(fmt::format("record {}: payload ends inside the record header ({} of {} bytes)", i,
                            r.remaining(), kUpdateRecordHeaderBytes));
      return r.status();
    }
    UpdateRecord& record = m.records.emplace_back();
    record.section = r.U8("section");
    uint8_t kind = r.U8("kind");
    uint16_t key_len = r.U16("key length");
    uint32_t value_len = r.U32("value length");
    if (record.section >= kSectionCount) {
      r.Invalid(fmt::format("record {}: section is {}, must be at most {}", i, record.section,
                            kSectionCount - 1));
    } else if (kind != static_cast<uint8_t>(UpdateKind::kPut) &&
               kind != static_cast<uint8_t>(UpdateKind::kDelete)) {
      r.Invalid(fmt::format("record {}: kind is {}, must be 1 (put) or 2 (delete)", i, kind));
    } else if (key_len == 0 || key_len > limits.max_key_bytes) {
      r.Invalid(
          fmt::format("record {}: key length {} outside 1..{}", i, key_len, limits.max_key_bytes));
    } else if (value_len > limits.max_value_bytes) {
      r.Invalid(fmt::format("record {}: value length {} over limit {}", i, value_len,
                            limits.max_value_bytes));
    } else if (kind == static_cast<uint8_t>(UpdateKind::kDelete) && value_len != 0) {
      r.Invalid(fmt::format("record {}: delete carries a value of {} bytes", i, value_len));
    } else if (size_t{key_len} + value_len > r.remaining()) {
      r.Invalid(fmt::format("record {}: payload ends inside key or value ({} of {} bytes)", i,
                            r.remaining(), size_t{key_len} + value_len));
    }
    if (!r.ok()) return r.status();
    record.kind = static_cast<UpdateKind>(kind);
    record.key = r.Bytes(key_len, "key");
    record.value = r.Bytes(value_len, "value");
  }
  return Done(r, std::move(m));
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerAck& m) {
  w.Begin(MsgType::kConsumerAck, seq);
  PutU64(w, m.channel);
  PutU64(w, m.op);
  PutU64(w, m.term);
  w.Finish();
}

Result<ConsumerAck> DecodeConsumerAck(Payload p) {
  PayloadReader r(p, "consumer ack");
  ConsumerAck m;
  m.channel = r.U64("channel");
  m.op = r.U64("op");
  m.term = r.U64("term");
  CheckNonZero(r, "channel", m.channel);
  return Done(r, m);
}

void Encode(FrameWriter& w, uint64_t seq, const ConsumerPing&) {
  w.Begin(MsgType::kConsumerPing, seq);
  w.Finish();
}

Result<ConsumerPing> DecodeConsumerPing(Payload p) {
  PayloadReader r(p, "consumer ping");
  return Done(r, ConsumerPing{});
}

}  // namespace hasync::wire
