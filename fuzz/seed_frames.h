// Frames for the seed corpora, built with the real encoders (make_corpus.cc, node_seeds.cc).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wire/consumer_messages.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace hasync::fuzz {

using Bytes = std::vector<uint8_t>;

template <typename Message>
Bytes Frame(const Message& m, uint64_t seq = 1) {
  Bytes out;
  wire::FrameWriter w(&out);
  wire::Encode(w, seq, m);
  return out;
}

// The i-th entry of a seed batch: keys 10.1.0.<i>, every fourth one a delete, values of a few
// sizes, RVNs from `first_rvn` up, origins 1 and 2.
inline wire::RecordEntry SeedEntry(int i, std::string_view key, std::string_view value,
                                   uint64_t first_rvn) {
  wire::RecordOp op = i % 4 == 3 ? wire::RecordOp::kDelete : wire::RecordOp::kUpsert;
  if (op == wire::RecordOp::kDelete) value = {};
  return wire::RecordEntry{
      op, key, value, first_rvn + i, 1000u + i, static_cast<uint16_t>(1 + i % 2)};
}
inline std::string SeedKey(int i) { return "10.1.0." + std::to_string(i); }
inline std::string SeedValue(int i) { return std::string(8 * i % 100, 'v'); }

inline Bytes Batch(wire::SyncKind kind, const std::string& table, int entries, uint64_t seq = 1,
                   uint64_t first_rvn = 10) {
  Bytes out;
  wire::FrameWriter frames(&out);
  wire::RecordBatchWriter batch(&frames);
  batch.Begin(seq, kind, table);
  for (int i = 0; i < entries; ++i) {
    std::string key = SeedKey(i), value = SeedValue(i);
    batch.Add(SeedEntry(i, key, value, first_rvn));
  }
  batch.Finish();
  return out;
}

// A frame around any payload, for what the encoders cannot produce.
inline Bytes RawFrame(wire::MsgType type, const Bytes& payload, uint64_t seq = 1) {
  Bytes out;
  wire::FrameWriter w(&out);
  w.Begin(type, seq);
  w.out().insert(w.out().end(), payload.begin(), payload.end());
  w.Finish();
  return out;
}

}  // namespace hasync::fuzz
