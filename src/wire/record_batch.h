// Record batches: many upserts and deletes of one table in one kRecords frame.
//
// Payload (little-endian, no padding):
//   0 u8 kind (SyncKind, 0..2) | 1 u8 reserved (0) | 2 u16 table name length n (1..limit)
//   4 table name (printable ASCII 0x21..0x7e) | 4+n u32 count (<= max_records) | 8+n entries
// Each entry, kRecordEntryHeaderBytes of header then the bytes:
//   0 u8 op (1 upsert, 2 delete) | 1 u16 key length (1..max_key_bytes)
//   3 u32 value length (<= max_value_bytes; 0 for a delete) | 7 u64 rvn | 15 u64 stamp
//   23 u16 origin (any) | 25 key bytes | value bytes
// The entries use up the payload exactly.
//
// The writer appends entries straight into the outgoing buffer (one memcpy of key and value per
// record, no temporary; the buffer grows geometrically). It trusts its caller on limits and table
// names (the store enforced them) and aborts only on what cannot be encoded at all: an empty key,
// a delete with a value, Add or Finish outside Begin..Finish. The decoder validates the whole
// batch before anyone applies a single entry, so a malformed batch changes nothing.
#pragma once

#include <cstddef>
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

// Reads the entry at the start of `p` (already validated by DecodeRecordBatch) and returns its
// total size. An entry that does not fit in `p` aborts: that is a caller bug, not peer input.
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
