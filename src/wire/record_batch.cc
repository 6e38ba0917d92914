#include "wire/record_batch.h"

#include "fmt/format.h"
#include "wire/codec.h"

namespace hasync::wire {
namespace {

// Offsets within an entry header (see record_batch.h).
constexpr size_t kOpAt = 0;
constexpr size_t kKeyLenAt = 1;
constexpr size_t kValueLenAt = 3;
constexpr size_t kRvnAt = 7;
constexpr size_t kStampAt = 15;
constexpr size_t kOriginAt = 23;
static_assert(kOriginAt + sizeof(uint16_t) == kRecordEntryHeaderBytes);

// Table names end up in logs, metrics labels and the control API: printable, no spaces.
bool IsTableNameByte(char c) { return c > ' ' && c <= '~'; }

// Checks the entry at the start of `p`; on success stores its total size in `*size`.
Status ValidateEntry(Payload p, uint32_t index, const BatchLimits& limits, size_t* size) {
  auto bad = [index](std::string why) {
    return ProtocolError(fmt::format("records: entry {}: {}", index, why));
  };
  if (p.size() < kRecordEntryHeaderBytes) {
    return bad(fmt::format("payload ends inside the entry header ({} of {} bytes)", p.size(),
                           kRecordEntryHeaderBytes));
  }
  const uint8_t* e = p.data();
  uint8_t op = e[kOpAt];
  uint16_t key_len = LoadLE<uint16_t>(e + kKeyLenAt);
  uint32_t value_len = LoadLE<uint32_t>(e + kValueLenAt);
  if (op != static_cast<uint8_t>(RecordOp::kUpsert) &&
      op != static_cast<uint8_t>(RecordOp::kDelete)) {
    return bad(fmt::format("op is {}, must be 1 (upsert) or 2 (delete)", op));
  }
  // Sizes over the configured limits are kTooLarge, so the receiver can count them apart from
  // malformed entries: a peer with other limits, not a broken one.
  auto too_large = [index](std::string why) {
    return TooLarge(fmt::format("records: entry {}: {}", index, why));
  };
  if (key_len == 0) return bad(fmt::format("key length 0 outside 1..{}", limits.max_key_bytes));
  if (key_len > limits.max_key_bytes) {
    return too_large(fmt::format("key length {} outside 1..{}", key_len, limits.max_key_bytes));
  }
  if (value_len > limits.max_value_bytes) {
    return too_large(
        fmt::format("value length {} over limit {}", value_len, limits.max_value_bytes));
  }
  if (op == static_cast<uint8_t>(RecordOp::kDelete) && value_len != 0) {
    return bad(fmt::format("delete carries a value of {} bytes", value_len));
  }
  size_t total = kRecordEntryHeaderBytes + key_len + size_t{value_len};
  if (p.size() < total) {
    return bad(fmt::format("payload ends inside key or value ({} of {} bytes)", p.size(), total));
  }
  *size = total;
  return Status::Ok();
}

}  // namespace

void RecordBatchWriter::Begin(uint64_t seq, SyncKind kind, std::string_view table) {
  CheckOrDie(!open_, "RecordBatchWriter::Begin with a batch already open");
  frames_->Begin(MsgType::kRecords, seq);
  std::vector<uint8_t>& out = frames_->out();
  PutLE<uint8_t>(out, static_cast<uint8_t>(kind));
  PutLE<uint8_t>(out, 0);  // reserved
  PutString16(out, table);
  count_offset_ = out.size();
  PutLE<uint32_t>(out, 0);  // count, patched by Finish()
  count_ = 0;
  open_ = true;
}

void RecordBatchWriter::Add(const RecordEntry& entry) {
  CheckOrDie(open_, "RecordBatchWriter::Add without Begin");
  CheckOrDie(entry.op == RecordOp::kUpsert || entry.op == RecordOp::kDelete, "bad record op");
  CheckOrDie(!entry.key.empty() && entry.key.size() <= UINT16_MAX, "key length not in 1..65535");
  CheckOrDie(entry.value.size() <= UINT32_MAX, "value longer than 4 GiB");
  CheckOrDie(entry.op == RecordOp::kUpsert || entry.value.empty(), "delete with a value");
  CheckOrDie(count_ < UINT32_MAX, "more than 2^32-1 records in one batch");
  std::vector<uint8_t>& out = frames_->out();
  size_t at = out.size();
  // One resize and one copy of each part: no temporary, and the vector grows geometrically.
  out.resize(at + kRecordEntryHeaderBytes + entry.key.size() + entry.value.size());
  uint8_t* e = out.data() + at;
  e[kOpAt] = static_cast<uint8_t>(entry.op);
  StoreLE<uint16_t>(e + kKeyLenAt, static_cast<uint16_t>(entry.key.size()));
  StoreLE<uint32_t>(e + kValueLenAt, static_cast<uint32_t>(entry.value.size()));
  StoreLE<uint64_t>(e + kRvnAt, entry.rvn);
  StoreLE<uint64_t>(e + kStampAt, entry.stamp);
  StoreLE<uint16_t>(e + kOriginAt, entry.origin);
  e += kRecordEntryHeaderBytes;
  std::memcpy(e, entry.key.data(), entry.key.size());
  if (!entry.value.empty())
    std::memcpy(e + entry.key.size(), entry.value.data(), entry.value.size());
  ++count_;
}

void RecordBatchWriter::Finish() {
  CheckOrDie(open_, "RecordBatchWriter::Finish without Begin");
  StoreLE<uint32_t>(frames_->out().data() + count_offset_, count_);
  frames_->Finish();
  open_ = false;
}

size_t RecordBatchWriter::bytes() const { return open_ ? frames_->open_payload_bytes() : 0; }

Result<RecordBatch> DecodeRecordBatch(Payload p, const BatchLimits& limits) {
  PayloadReader r(p, "records");
  uint8_t kind = r.U8("kind");
  uint8_t reserved = r.U8("reserved");
  std::string_view table = r.String16("table name", 1, limits.max_table_name_bytes);
  uint32_t count = r.U32("count");
  if (r.ok() && kind > static_cast<uint8_t>(SyncKind::kReconcile)) {
    r.Invalid(fmt::format("kind is {}, must be at most 2", kind));
  }
  if (r.ok() && reserved != 0) r.Invalid(fmt::format("reserved is {}, must be 0", reserved));
  for (size_t i = 0; r.ok() && i < table.size(); ++i) {
    if (!IsTableNameByte(table[i])) {
      r.Invalid(fmt::format("table name byte {} is 0x{:02x}, must be printable ASCII, no space", i,
                            static_cast<uint8_t>(table[i])));
    }
  }
  if (r.ok() && count > limits.max_records) {
    r.Invalid(fmt::format("count {} over limit {}", count, limits.max_records));
  }
  if (!r.ok()) return r.status();

  // Walk every entry now, so that ForEach (and the caller applying entries) meets only sound ones.
  Payload entries = p.subspan(r.pos());
  Payload rest = entries;
  for (uint32_t i = 0; i < count; ++i) {
    size_t n = 0;
    Status s = ValidateEntry(rest, i, limits, &n);
    if (!s.ok()) return s;
    rest = rest.subspan(n);
  }
  if (!rest.empty()) {
    return ProtocolError(
        fmt::format("records: {} trailing bytes after {} entries", rest.size(), count));
  }

  RecordBatch batch;
  batch.kind_ = static_cast<SyncKind>(kind);
  batch.table_ = table;
  batch.count_ = count;
  batch.entries_ = entries;
  return batch;
}

size_t ReadValidatedEntry(Payload p, RecordEntry* out) {
  // The batch was validated, so these cannot fail; checking costs two compares per entry and
  // turns misuse (an unvalidated payload) into a clear crash instead of a read out of bounds.
  CheckOrDie(p.size() >= kRecordEntryHeaderBytes, "ReadValidatedEntry on an unvalidated entry");
  const uint8_t* e = p.data();
  size_t key_len = LoadLE<uint16_t>(e + kKeyLenAt);
  size_t value_len = LoadLE<uint32_t>(e + kValueLenAt);
  size_t total = kRecordEntryHeaderBytes + key_len + value_len;
  CheckOrDie(p.size() >= total, "ReadValidatedEntry on an unvalidated entry");
  const char* data = reinterpret_cast<const char*>(e + kRecordEntryHeaderBytes);
  out->op = static_cast<RecordOp>(e[kOpAt]);
  out->key = std::string_view(data, key_len);
  out->value = std::string_view(data + key_len, value_len);
  out->rvn = LoadLE<uint64_t>(e + kRvnAt);
  out->stamp = LoadLE<uint64_t>(e + kStampAt);
  out->origin = LoadLE<uint16_t>(e + kOriginAt);
  return total;
}

}  // namespace hasync::wire
