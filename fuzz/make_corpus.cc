// Writes the seed corpora of the fuzz targets: valid frames of every type, a few streams and a
// few near-misses, as small files with stable names (running it again rewrites the same files).
//
//   fuzz_make_corpus fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace {

using namespace hasync::wire;  // NOLINT: a small program
using Bytes = std::vector<uint8_t>;

template <typename Message>
Bytes Frame(const Message& m, uint64_t seq = 1) {
  Bytes out;
  FrameWriter w(&out);
  Encode(w, seq, m);
  return out;
}

Bytes Batch(SyncKind kind, const std::string& table, int entries, uint64_t seq = 1) {
  Bytes out;
  FrameWriter frames(&out);
  RecordBatchWriter batch(&frames);
  batch.Begin(seq, kind, table);
  for (int i = 0; i < entries; ++i) {
    std::string key = "10.1.0." + std::to_string(i);
    RecordOp op = i % 4 == 3 ? RecordOp::kDelete : RecordOp::kUpsert;
    std::string value = op == RecordOp::kDelete ? "" : std::string(8 * i % 100, 'v');
    batch.Add(RecordEntry{op, key, value, 10u + i, 1000u + i, static_cast<uint16_t>(1 + i % 2)});
  }
  batch.Finish();
  return out;
}

struct Sample {
  std::string name;
  Bytes frame;  // one frame, numbered 1
};

std::vector<Sample> Samples() {
  Hello hello;
  hello.node_id = 1;
  hello.priority = 100;
  hello.flags = kHelloFlagPreempt;
  hello.gvn = 5;
  hello.config_digest = 0x1234;
  hello.cluster = "pair-a";
  Hello old = hello;
  old.version = 2;
  old.role = 1;
  old.active_ms = 99;
  return {
      {"hello", Frame(hello)},
      {"hello_v2_active", Frame(old)},
      {"heartbeat", Frame(Heartbeat{1, 1, 42})},
      {"records_incremental", Batch(SyncKind::kIncremental, "sessions", 3)},
      {"records_bulk", Batch(SyncKind::kBulk, "nat", 12)},
      {"records_empty", Batch(SyncKind::kReconcile, "t", 0)},
      {"bulk_begin", Frame(BulkBegin{SyncKind::kBulk, 100, 12})},
      {"record_eof", Frame(RecordEof{SyncKind::kBulk, 100, 12})},
      {"ack", Frame(Ack{7})},
      {"switchover_request", Frame(SwitchoverRequest{1, 100})},
      {"switchover_accepted", Frame(SwitchoverResponse{1, true, SwitchoverRefusal::kNone})},
      {"switchover_refused", Frame(SwitchoverResponse{1, false, SwitchoverRefusal::kNotInSync})},
      {"sync_request", Frame(SyncRequest{SyncKind::kReconcile, 100})},
      {"sync_response", Frame(SyncResponse{SyncKind::kReconcile, false, 100})},
      {"goodbye", Frame(Goodbye{GoodbyeReason::kRejected, "peer speaks protocol v2"})},
  };
}

void Write(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// The frame-reader input: chunking byte (top bit: reseal), limit byte (255: 65344 bytes), then
// the stream. Resealed seeds let mutations reach the decoders past the checksum.
Bytes ReaderInput(uint8_t chunk, const Bytes& stream) {
  Bytes in = {chunk, 255};
  in.insert(in.end(), stream.begin(), stream.end());
  return in;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  std::filesystem::path root = argv[1];
  std::filesystem::create_directories(root / "frame_reader");
  std::filesystem::create_directories(root / "messages");

  std::vector<Sample> samples = Samples();
  for (const Sample& s : samples) {
    Bytes payload(s.frame.begin() + kFrameHeaderBytes, s.frame.end() - kFrameTrailerBytes);
    Bytes in = {static_cast<uint8_t>(s.frame[4] - 1)};  // fuzz_messages: type = byte % 11 + 1
    in.insert(in.end(), payload.begin(), payload.end());
    Write(root / "messages" / s.name, in);
    Write(root / "frame_reader" / s.name, ReaderInput(0x80, s.frame));
  }

  // A whole conversation (every type, numbered 1, 2, ...), whole and cut into small chunks.
  Hello hello;
  hello.node_id = 2;
  hello.cluster = "pair-a";
  Bytes stream;
  uint64_t seq = 1;
  auto add = [&](const Bytes& f) { stream.insert(stream.end(), f.begin(), f.end()); };
  add(Frame(hello, seq++));
  add(Frame(Heartbeat{2, 2, 0}, seq++));
  add(Frame(BulkBegin{SyncKind::kBulk, 50, 6}, seq++));
  add(Batch(SyncKind::kBulk, "sessions", 6, seq++));
  add(Batch(SyncKind::kIncremental, "sessions", 2, seq++));
  add(Frame(RecordEof{SyncKind::kBulk, 50, 6}, seq++));
  add(Frame(Ack{4}, seq++));
  add(Frame(SwitchoverRequest{1, 60}, seq++));
  add(Frame(Goodbye{GoodbyeReason::kShutdown, "bye"}, seq++));
  Write(root / "frame_reader" / "stream_whole", ReaderInput(0x80, stream));
  Write(root / "frame_reader" / "stream_bytewise", ReaderInput(1, stream));
  Write(root / "frame_reader" / "stream_chunks_7", ReaderInput(0x87, stream));
  Write(root / "frame_reader" / "stream_chunks_100", ReaderInput(100, stream));

  // Near-misses: the reader's error paths, one step from valid.
  Bytes truncated(stream.begin(), stream.begin() + 50);
  Write(root / "frame_reader" / "truncated", ReaderInput(3, truncated));
  Bytes bad_sum = samples[0].frame;
  bad_sum.back() ^= 1;
  Write(root / "frame_reader" / "bad_checksum", ReaderInput(0, bad_sum));
  Bytes huge = {0xff, 0xff, 0xff, 0x7f};
  Write(root / "frame_reader" / "huge_length", ReaderInput(0, huge));
  Bytes seq2 = Frame(Ack{1}, 2);
  Write(root / "frame_reader" / "wrong_seq", ReaderInput(0, seq2));
  return 0;
}
