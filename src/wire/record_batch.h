// Record batches: many upserts and deletes of one table in one kRecords frame.
//
// Payload: u8 kind (SyncKind), u8 reserved (0), u16 table name length, table name, u32 count,
// then `count` entries, each:
//   u8 op (1 upsert, 2 delete), u16 key length (>= 1), u32 value length (0 for a delete),
//   u64 rvn, u64 stamp, u16 origin, key bytes, value bytes.
//
// The writer appends entries straight into the outgoing buffer (one memcpy of key and value per
// record, no allocation). The decoder validates the whole batch before anyone applies a single
// entry, so a malformed batch changes nothing.
#pragma once

#include <cstdint>
#include <string_view>

#include "hasync/status.h"
#include "wire/frame.h"
#include "wire/messages.h"

namespace hasync::wire {

enum class RecordOp : uint8_t { kUpsert = 1, kDelete = 2 };

inline constexpr size_t kRecordEntryHeaderBytes = 25;

struct RecordEntry {
  RecordOp op;
  std::string_view key;
  std::string_view value;
  uint64_t rvn;
  uint64_t stamp;
  uint16_t origin;
};

class RecordBatchWriter {
 public:
  explicit RecordBatchWriter(FrameWriter* frames) : frames_(frames) {}
  void Begin(uint64_t seq, SyncKind kind, std::string_view table);
  void Add(const RecordEntry& entry);
  // Patches the count and closes the frame. A batch with no entries is still a valid frame.
  void Finish();
  bool open() const { return open_; }
  uint32_t count() const { return count_; }
  size_t bytes() const;  // payload bytes so far

 private:
  FrameWriter* frames_;
  size_t count_offset_ = 0;
  uint32_t count_ = 0;
  bool open_ = false;
};

struct BatchLimits {
  uint32_t max_key_bytes = 1024;
  uint32_t max_value_bytes = 64 * 1024;
  uint32_t max_table_name_bytes = 128;
  uint32_t max_records = 1u << 20;
};

// A validated batch; entries are views into the frame payload.
class RecordBatch {
 public:
  SyncKind kind() const { return kind_; }
  std::string_view table() const { return table_; }
  uint32_t count() const { return count_; }
  // Calls fn(const RecordEntry&) for each entry in order.
  template <typename Fn>
  void ForEach(Fn&& fn) const;

 private:
  friend Result<RecordBatch> DecodeRecordBatch(Payload p, const BatchLimits& limits);
  SyncKind kind_ = SyncKind::kIncremental;
  std::string_view table_;
  uint32_t count_ = 0;
  Payload entries_;
};

Result<RecordBatch> DecodeRecordBatch(Payload p, const BatchLimits& limits);

// Reads the entry at the start of `p` (already validated) and returns its total size.
size_t ReadValidatedEntry(Payload p, RecordEntry* out);

template <typename Fn>
void RecordBatch::ForEach(Fn&& fn) const {
  Payload rest = entries_;
  for (uint32_t i = 0; i < count_; ++i) {
    RecordEntry e;
    size_t n = ReadValidatedEntry(rest, &e);
    fn(static_cast<const RecordEntry&>(e));
    rest = rest.subspan(n);
  }
}

}  // namespace hasync::wire
