// Micro-benchmarks of the wire layer on the record path: encoding a batch, decoding and
// iterating it, and cutting a 64 MiB stream of batches into frames. Records are shaped like
// session state: 16-byte key, 200-byte value, 1000 to a batch.
//
//   build/<dir>/bench/wire_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wire/frame.h"
#include "wire/record_batch.h"

namespace hasync::wire {
namespace {

constexpr int kRecordsPerBatch = 1000;
constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 200;
constexpr size_t kStreamBytes = 64u << 20;

struct Records {
  std::vector<std::string> keys;
  std::string value = std::string(kValueBytes, 'v');
  Records() {
    for (int i = 0; i < kRecordsPerBatch; ++i) {
      std::string key = "10.0." + std::to_string(i) + ":443";
      key.resize(kKeyBytes, '.');
      keys.push_back(std::move(key));
    }
  }
};

const Records& TheRecords() {
  static const Records r;
  return r;
}

void AppendBatch(std::vector<uint8_t>& out, uint64_t seq) {
  const Records& r = TheRecords();
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  batch.Begin(seq, SyncKind::kIncremental, "sessions");
  for (int i = 0; i < kRecordsPerBatch; ++i) {
    batch.Add({RecordOp::kUpsert, r.keys[i], r.value, seq * kRecordsPerBatch + i, 0, 1});
  }
  batch.Finish();
}

// Touches every key and value, as applying the batch would, so nothing is optimised away.
size_t Apply(Payload payload) {
  Result<RecordBatch> batch = DecodeRecordBatch(payload, BatchLimits{});
  if (!batch.ok()) return 0;
  size_t bytes = 0;
  batch->ForEach([&](const RecordEntry& e) { bytes += e.key.size() + e.value.size() + e.rvn; });
  return bytes;
}

void Report(benchmark::State& state, int64_t records, int64_t bytes) {
  state.SetItemsProcessed(records);  // shown as items_per_second: records/s
  state.SetBytesProcessed(bytes);    // shown as bytes_per_second
}

void BM_EncodeBatch(benchmark::State& state) {
  std::vector<uint8_t> out;
  uint64_t seq = 1;
  for (auto _ : state) {
    out.clear();  // keeps capacity, as a sender reusing its buffer would
    AppendBatch(out, seq++);
    benchmark::DoNotOptimize(out.data());
  }
  Report(state, state.iterations() * kRecordsPerBatch,
         state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_EncodeBatch);

void BM_DecodeAndIterateBatch(benchmark::State& state) {
  std::vector<uint8_t> frame;
  AppendBatch(frame, 1);
  Payload payload(frame.data() + kFrameHeaderBytes, frame.size() - kFrameOverheadBytes);
  for (auto _ : state) benchmark::DoNotOptimize(Apply(payload));
  Report(state, state.iterations() * kRecordsPerBatch,
         state.iterations() * static_cast<int64_t>(frame.size()));
}
BENCHMARK(BM_DecodeAndIterateBatch);

struct Stream {
  std::vector<uint8_t> bytes;
  int64_t records = 0;
};

const Stream& TheStream() {
  static const Stream s = [] {
    Stream built;
    uint64_t seq = 1;
    while (built.bytes.size() < kStreamBytes) AppendBatch(built.bytes, seq++);
    built.records = static_cast<int64_t>(seq - 1) * kRecordsPerBatch;
    return built;
  }();
  return s;
}

// Feeds the stream in 64 KiB reads, as from a socket. With `decode`, also decodes and iterates
// every batch: the whole receive path short of the store.
void ReadStream(benchmark::State& state, bool decode) {
  const std::vector<uint8_t>& stream = TheStream().bytes;
  constexpr size_t kRead = 64 * 1024;
  for (auto _ : state) {
    FrameReader reader;
    size_t frames = 0;
    for (size_t at = 0; at < stream.size(); at += kRead) {
      reader.Feed(
          std::span<const uint8_t>(stream.data() + at, std::min(kRead, stream.size() - at)));
      for (Result<FrameView> f = reader.Next(); f.ok(); f = reader.Next()) {
        ++frames;
        if (decode) benchmark::DoNotOptimize(Apply(f->payload));
      }
    }
    if (reader.last_error() != FrameError::kNone || reader.buffered() != 0) {
      state.SkipWithError("stream did not parse");
      break;
    }
    benchmark::DoNotOptimize(frames);
  }
  Report(state, state.iterations() * TheStream().records,
         state.iterations() * static_cast<int64_t>(stream.size()));
}

void BM_FrameReader64MiB(benchmark::State& state) { ReadStream(state, false); }
BENCHMARK(BM_FrameReader64MiB)->Unit(benchmark::kMillisecond);

void BM_FrameReaderAndDecode64MiB(benchmark::State& state) { ReadStream(state, true); }
BENCHMARK(BM_FrameReaderAndDecode64MiB)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hasync::wire

BENCHMARK_MAIN();
