// The messages of consumers and selective replay (docs/consumers.md), in two groups:
//
//  - the replay stream, sent by the active to its standby inside the sync channel, after the
//    records of the same turn (ChannelState, ConsumerOps, ConsumerAcks, ChannelDrop): they give
//    the standby, channel by channel, what every consumer was sent and has acknowledged;
//  - the consumer protocol, spoken on the consumer port between a node and a consumer
//    (ConsumerHello, ConsumerWelcome, ConsumerUpdate, ConsumerAck, ConsumerPing). It uses the
//    same frames as the sync channel (wire/frame.h: length, type, seq, XXH3 checksum), each
//    connection numbering its own frames from 1.
//
// Conventions are those of wire/messages.h: fixed-size little-endian integers in declaration
// order, strings as u16 length + bytes, no padding; decoders check every range stated beside the
// struct, return a kProtocol Status naming the field, and refuse trailing bytes. A table name is
// printable ASCII without spaces (0x21..0x7e), as in Records; a prefix is any bytes. Counts are
// checked against the bytes left before anything is allocated, so a hostile count cannot make a
// decoder reserve memory the payload does not pay for.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "hasync/status.h"
#include "wire/frame.h"
#include "wire/messages.h"

namespace hasync::wire {

inline constexpr uint16_t kConsumerProtocolVersion = 1;
inline constexpr size_t kSectionCount = 64;           // a section mask is a u64
inline constexpr size_t kMaxResumeRingEntries = 256;  // ConsumerHello.ring
inline constexpr size_t kMaxConsumerNameBytes = 64;
inline constexpr size_t kMaxWelcomeTextBytes = 256;

// Sizes a decoder accepts for table names, keys and values (the node passes its store limits; a
// consumer, which does not know them, passes the hard caps of store/limits.h).
struct ConsumerLimits {
  uint32_t max_table_name_bytes = 128;
  uint32_t max_key_bytes = 1024;
  uint32_t max_value_bytes = 64 * 1024;
};

// One entry of a channel's pending queue: ops first_op..last_op (one op, or a range collapsed
// when the queue hit its bound), created by the active of `term`, touching the sections of
// `mask`.
struct PendingRange {
  uint64_t first_op = 0;
  uint64_t last_op = 0;
  uint64_t term = 0;
  uint64_t mask = 0;
};

inline constexpr uint8_t kChannelStateFullReplay = 1;

// 0 channel u64 (non-zero) | 8 next_op u64 | 16 acked_op u64 | 24 acked_term u64 | 32 flags u8
// (bit 0 only) | 33 table (u16 length 1..limit, bytes) | prefix (u16 length 0..max_key_bytes,
// bytes) | count u32 | count entries of 32 bytes: first_op u64, last_op u64 (>= first_op), term
// u64, mask u64. The entries' ops increase strictly and lie above acked_op and below next_op.
struct ChannelState {
  uint64_t channel = 0;
  uint64_t next_op = 1;     // the op id the channel's next op gets
  uint64_t acked_op = 0;    // the consumer acknowledged every op up to this one
  uint64_t acked_term = 0;  // ... the last of them created by the active of this term
  // Flag bit 0: the consumer must get a full replay when it resumes, whatever it reports (its
  // history is not known well enough to replay less).
  bool full_replay = false;
  std::string table;
  std::string prefix;  // the subscription: records of `table` whose key starts with it
  std::vector<PendingRange> pending;
};

// The changed keys of one table, for per-update replay.
struct TableKeys {
  std::string table;
  std::vector<std::string> keys;
};

inline constexpr uint8_t kConsumerOpsKeysComplete = 1;

// The ops the active created in one turn, sent after that turn's records.
// 0 term u64 | 8 flags u8 (bit 0 only) | 9 table count u16 | per table: name (u16 length
// 1..limit), key count u32, keys (u16 length 1..max_key_bytes each) | op count u32 | op count
// entries of 25 bytes: channel u64 (non-zero), op u64 (non-zero), mask u64, flags u8 (bit 0
// only; it may be set only when the frame's flag bit 0 is).
struct ConsumerOps {
  uint64_t term = 0;
  // Flag bit 0: `tables` names every key the turn changed in the subscribed tables, so each op
  // can be replayed key by key; without it only the sections (masks) are known.
  bool keys_complete = false;
  std::vector<TableKeys> tables;
  struct Op {
    uint64_t channel = 0;
    uint64_t op = 0;
    uint64_t mask = 0;
    // Flag bit 0: the op's changes are among `tables`' keys (a live op); clear for a replay op,
    // whose changes are its sections.
    bool keyed = false;
  };
  std::vector<Op> ops;
};

// 0 count u32 | count entries of 24 bytes: channel u64 (non-zero), op u64, term u64.
struct ConsumerAcks {
  struct Ack {
    uint64_t channel = 0;
    uint64_t op = 0;
    uint64_t term = 0;
  };
  std::vector<Ack> acks;
};

enum class ChannelDropReason : uint8_t {
  kForgetAll = 0,  // channel 0: a new snapshot of ChannelStates follows (bulk sync begins)
  kTimeout = 1,    // its consumer stayed away longer than consumer_timeout
  kClosed = 2,     // its consumer closed it
};

// 0 channel u64 (0 exactly when reason is 0) | 8 reason u8 (0..2). 9 bytes.
struct ChannelDrop {
  uint64_t channel = 0;
  ChannelDropReason reason = ChannelDropReason::kTimeout;
};

// One op a consumer applied, as it reports them when it resumes.
struct ResumeEntry {
  uint64_t op = 0;
  uint64_t term = 0;
  uint64_t mask = 0;
};

inline constexpr uint8_t kHelloAckOnly = 1;

// Consumer to node, first frame of a connection.
// 0 version u16 | 2 flags u8 (bit 0 only) | 3 channel u64 | 11 last_op u64 | 19 last_term u64 |
// 27 table (u16 length 1..limit) | prefix (u16 length 0..max_key_bytes) | name (u16 length
// 0..64, printable ASCII 0x20..0x7e) | ring count u16 (0..256) | ring entries of 24 bytes: op
// u64 (non-zero), term u64, mask u64, ops increasing strictly, none above last_op.
// A hello of another version is accepted as soon as its version is read (as DecodeHello does)
// and carries only `version`, the other fields left at their defaults; the node answers kRefused
// naming both versions.
struct ConsumerHello {
  uint16_t version = kConsumerProtocolVersion;
  // Flag bit 0: this connection only carries acks to a standby (ack_mode direct); no updates.
  bool ack_only = false;
  uint64_t channel = 0;    // 0: a new channel
  uint64_t last_op = 0;    // the last op it applied; 0: it holds nothing (full replay)
  uint64_t last_term = 0;  // the term of that op
  std::string table;
  std::string prefix;
  std::string name;               // for operators (hasyncctl consumers)
  std::vector<ResumeEntry> ring;  // its most recent ops, oldest first
};

enum class WelcomeStatus : uint8_t { kOk = 0, kNotActive = 1, kRefused = 2 };
enum class AckMode : uint8_t { kForwarded = 0, kDirect = 1 };

// Node to consumer, the answer to a hello.
// 0 status u8 (0..2) | 1 node_id u16 | 3 channel u64 | 11 ack_mode u8 (0..1) | 12
// ack_interval_ms u32 | 16 text (u16 length 0..256). 18 + text bytes. The encoder cuts longer
// text to 256 bytes, as for Goodbye.
struct ConsumerWelcome {
  WelcomeStatus status = WelcomeStatus::kOk;
  uint16_t node_id = 0;
  uint64_t channel = 0;  // the channel's id (assigned for a new one)
  AckMode ack_mode = AckMode::kForwarded;
  uint32_t ack_interval_ms = 10;
  std::string text;  // why, when not kOk
};

enum class UpdateKind : uint8_t { kPut = 1, kDelete = 2 };

// One record of an update: views into the frame payload once decoded.
struct UpdateRecord {
  uint8_t section = 0;  // 0..63
  UpdateKind kind = UpdateKind::kPut;
  std::string_view key;
  std::string_view value;  // empty for a delete
};

inline constexpr uint8_t kUpdateReplay = 1;  // flag bit 0
inline constexpr uint8_t kUpdateMore = 2;    // flag bit 1
inline constexpr size_t kUpdateHeaderBytes = 45;
inline constexpr size_t kUpdateRecordHeaderBytes = 8;

// Node to consumer: one op, or one fragment of it.
// 0 channel u64 (non-zero) | 8 op u64 (non-zero) | 16 term u64 | 24 mask u64 | 32 flags u8 (bits
// 0-1) | 33 reset u64 | 41 count u32 | count records: section u8 (0..63), kind u8 (1..2), key
// length u16 (1..max_key_bytes), value length u32 (0 for a delete, else <= max_value_bytes), key,
// value. Flag bit 0: a replay; `reset` names the sections whose records it replaces (records of
// those sections the consumer holds and the replay does not carry are gone), and its records give
// current values. Flag bit 1: more fragments of this op follow; the consumer applies the op
// once the last has come. `reset` is 0 unless bit 0 is set.
struct ConsumerUpdate {
  uint64_t channel = 0;
  uint64_t op = 0;
  uint64_t term = 0;
  uint64_t mask = 0;
  bool replay = false;
  bool more = false;
  uint64_t reset = 0;
  std::vector<UpdateRecord> records;
};

// Appends a ConsumerUpdate frame record by record, straight into the output buffer (no
// temporary vector), like RecordBatchWriter. Like it, it trusts its caller on limits and aborts
// only on what cannot be encoded at all: an empty key, a delete with a value, a kind other than
// put or delete, Add or Finish outside Begin..Finish.
class UpdateWriter {
 public:
  explicit UpdateWriter(FrameWriter* frames) : frames_(frames) {}
  void Begin(uint64_t seq, const ConsumerUpdate& header);  // header.records is ignored
  void Add(const UpdateRecord& record);
  // Patches the count and closes the frame. `more` sets flag bit 1 (kUpdateMore) besides
  // header.more: a writer cutting an op into fragments learns that the open one is not the last
  // only when the next record does not fit in it.
  void Finish(bool more = false);
  bool open() const { return open_; }
  uint32_t count() const { return count_; }
  size_t bytes() const;  // payload bytes so far

 private:
  FrameWriter* frames_;
  size_t count_offset_ = 0;
  uint32_t count_ = 0;
  bool open_ = false;
};

// Consumer to node: every op up to `op` (of `term`) is applied. 0 channel u64 (non-zero) | 8 op
// u64 | 16 term u64. 24 bytes.
struct ConsumerAck {
  uint64_t channel = 0;
  uint64_t op = 0;
  uint64_t term = 0;
};

// Both ways, when a side has sent nothing for ping_interval: 0 bytes of payload.
struct ConsumerPing {};

// Each appends one frame with sequence number `seq`. The caller keeps values in the ranges
// above (the receiver rejects others); only the welcome's free text is cut to fit, and only
// what no frame can carry (a count or string past its length field, an update record the
// UpdateWriter refuses) aborts.
void Encode(FrameWriter& w, uint64_t seq, const ChannelState& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerOps& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerAcks& m);
void Encode(FrameWriter& w, uint64_t seq, const ChannelDrop& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerHello& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerWelcome& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerUpdate& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerAck& m);
void Encode(FrameWriter& w, uint64_t seq, const ConsumerPing& m);

Result<ChannelState> DecodeChannelState(Payload p, const ConsumerLimits& limits);
Result<ConsumerOps> DecodeConsumerOps(Payload p, const ConsumerLimits& limits);
Result<ConsumerAcks> DecodeConsumerAcks(Payload p);
Result<ChannelDrop> DecodeChannelDrop(Payload p);
Result<ConsumerHello> DecodeConsumerHello(Payload p, const ConsumerLimits& limits);
Result<ConsumerWelcome> DecodeConsumerWelcome(Payload p);
// `records` are views into `p`.
Result<ConsumerUpdate> DecodeConsumerUpdate(Payload p, const ConsumerLimits& limits);
Result<ConsumerAck> DecodeConsumerAck(Payload p);
Result<ConsumerPing> DecodeConsumerPing(Payload p);

}  // namespace hasync::wire
