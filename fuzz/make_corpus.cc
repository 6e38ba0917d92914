// Writes the seed corpora of the wire fuzz targets: valid frames of every type (protocol v3,
// every value of the fields), hellos of v1 and of a later version, a few streams and a few
// near-misses, the consumer messages (consumer_seeds.h, also the seeds of
// fuzz_consumer_messages), the conversations of fuzz_node (node_seeds.h) and the lease pairs of
// fuzz_lease (lease_seeds.h), as small files with stable names (running it again rewrites the
// same files; it never deletes one, so remove seeds of names no longer written by hand).
//
//   fuzz_make_corpus fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "consumer_seeds.h"
#include "lease_seeds.h"
#include "node_seeds.h"
#include "seed_frames.h"
#include "tcp/snapshot_codec.h"
#include "wire/codec.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace {

using namespace hasync::wire;  // NOLINT: a small program
using hasync::fuzz::Batch;
using hasync::fuzz::Bytes;
using hasync::fuzz::Frame;
using hasync::fuzz::RawFrame;

// The payload of `frame` with byte `at` set to `value`, framed again (a valid frame whose payload
// the decoder rejects).
Bytes WithPayloadByte(const Bytes& frame, size_t at, uint8_t value) {
  Bytes payload(frame.begin() + kFrameHeaderBytes, frame.end() - kFrameTrailerBytes);
  payload.at(at) = value;
  return RawFrame(static_cast<MsgType>(frame[4]), payload);
}

// A protocol v1 node's hello (no hlc: the cluster at offset 31), which a v3 node must still read
// far enough to refuse by its version.
Bytes HelloV1(const std::string& cluster) {
  Bytes p;
  PutLE<uint16_t>(p, 1);       // version
  PutLE<uint16_t>(p, 3);       // node_id
  PutLE<uint8_t>(p, 100);      // priority
  PutLE<uint8_t>(p, 1);        // role: active
  PutLE<uint8_t>(p, 0);        // flags
  PutLE<uint64_t>(p, 5);       // gvn
  PutLE<uint64_t>(p, 99);      // active_ms
  PutLE<uint64_t>(p, 0x1234);  // config_digest
  PutString16(p, cluster);
  return RawFrame(MsgType::kHello, p);
}

constexpr uint64_t kStamp = uint64_t{1700000000000} << 16 | 1;  // an HLC: ms << 16 | counter

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
  hello.hlc = kStamp;
  hello.cluster = "pair-a";
  Hello future = hello;
  future.version = kProtocolVersion + 1;
  Bytes switchover = Frame(SwitchoverRequest{1, 100, kStamp, false});
  Bytes sync_request = Frame(SyncRequest{SyncKind::kReconcile, 100, ReconcileReason::kSplitBrain});
  return {
      {"hello", Frame(hello)},
      {"hello_v1_active", HelloV1("pair-a")},
      {"hello_v4", Frame(future)},
      {"heartbeat", Frame(Heartbeat{1, 1, 42})},
      {"records_incremental", Batch(SyncKind::kIncremental, "sessions", 3)},
      {"records_bulk", Batch(SyncKind::kBulk, "nat", 12)},
      {"records_empty", Batch(SyncKind::kReconcile, "t", 0)},
      {"records_reconcile", Batch(SyncKind::kReconcile, "sessions", 5)},
      {"bulk_begin", Frame(BulkBegin{SyncKind::kBulk, 100, 12})},
      {"bulk_begin_reconcile", Frame(BulkBegin{SyncKind::kReconcile, 100, 5})},
      {"record_eof", Frame(RecordEof{SyncKind::kBulk, 100, 12, 0x9e3779b97f4a7c15})},
      {"record_eof_reconcile", Frame(RecordEof{SyncKind::kReconcile, 100, 5, 0x0123456789abcdef})},
      {"ack", Frame(Ack{7})},
      {"switchover_request", switchover},
      {"switchover_request_reconcile", Frame(SwitchoverRequest{1, 100, kStamp, true})},
      {"switchover_request_reserved_flag", WithPayloadByte(switchover, 24, 0x02)},
      {"switchover_accepted", Frame(SwitchoverResponse{1, true, SwitchoverRefusal::kNone})},
      {"switchover_refused", Frame(SwitchoverResponse{1, false, SwitchoverRefusal::kNotInSync})},
      {"sync_request", sync_request},
      {"sync_request_interrupted_bulk",
       Frame(SyncRequest{SyncKind::kReconcile, 100, ReconcileReason::kInterruptedBulk})},
      {"sync_request_handover",
       Frame(SyncRequest{SyncKind::kReconcile, 100, ReconcileReason::kHandover})},
      {"sync_request_bulk_kind", WithPayloadByte(sync_request, 0, 1)},
      {"sync_request_reason_3", WithPayloadByte(sync_request, 9, 3)},
      {"sync_response", Frame(SyncResponse{SyncKind::kReconcile, false, 100})},
      {"sync_response_accepted", Frame(SyncResponse{SyncKind::kReconcile, true, 100})},
      {"goodbye",
       Frame(Goodbye{GoodbyeReason::kRejected, "peer speaks protocol v2, this node v3"})},
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

// fuzz_tcp_snapshot seeds: byte 0 the queue limit (0: the default), then a snapshot.
void WriteTcpSnapshotSeeds(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  hasync::tcp::TcpSnapshot s;
  s.local = {.family = hasync::tcp::Endpoint::Family::kIpv4, .addr = {10, 0, 0, 1}, .port = 80};
  s.remote = {.family = hasync::tcp::Endpoint::Family::kIpv4, .addr = {10, 0, 0, 9}, .port = 40000};
  s.send_seq = 1000;
  s.recv_seq = 2000;
  s.mss = 1448;
  s.window_scaling = true;
  s.send_wscale = 7;
  s.recv_wscale = 7;
  s.sack = true;
  s.timestamps = true;
  s.timestamp = 123456;
  s.window = {
      .snd_wl1 = 2000, .snd_wnd = 65536, .max_window = 65536, .rcv_wnd = 65536, .rcv_wup = 2000};
  auto write = [&](const char* name, uint8_t limit) {
    Bytes in = {limit};
    hasync::tcp::EncodeSnapshot(s, in);
    Write(dir / name, in);
  };
  write("ipv4_empty_queues", 0);
  s.send_queue = "HTTP/1.1 200 OK\r\n";
  s.unsent_bytes = 4;
  s.recv_queue = "GET / HTTP/1.1\r\n";
  write("ipv4_queues", 0);
  write("ipv4_queues_limit_16", 1);
  s.local.family = s.remote.family = hasync::tcp::Endpoint::Family::kIpv6;
  s.local.addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  s.remote.addr = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
  write("ipv6_queues", 0);
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
  std::filesystem::create_directories(root / "node");
  for (const hasync::fuzz::NodeSeed& s : hasync::fuzz::NodeSeeds())
    Write(root / "node" / s.name, s.input);
  WriteTcpSnapshotSeeds(root / "tcp_snapshot");
  std::filesystem::create_directories(root / "lease");
  for (const hasync::fuzz::LeaseSeed& s : hasync::fuzz::LeaseSeeds())
    Write(root / "lease" / s.name, s.input);

  std::vector<Sample> samples = Samples();
  for (const hasync::fuzz::ConsumerSeed& s : hasync::fuzz::ConsumerSeeds()) {
    samples.push_back({s.name, s.frame});
  }
  std::filesystem::create_directories(root / "consumer_messages");
  for (const Sample& s : samples) {
    Bytes payload(s.frame.begin() + kFrameHeaderBytes, s.frame.end() - kFrameTrailerBytes);
    Bytes in = {static_cast<uint8_t>(s.frame[4] - 1)};  // fuzz_messages: type = byte % 20 + 1
    in.insert(in.end(), payload.begin(), payload.end());
    Write(root / "messages" / s.name, in);
    Write(root / "frame_reader" / s.name, ReaderInput(0x80, s.frame));
    if (s.frame[4] >= static_cast<uint8_t>(MsgType::kChannelState)) {
      // fuzz_consumer_messages: type = byte % 9 + 12, the small limits (top bit clear).
      in[0] = static_cast<uint8_t>(s.frame[4] - static_cast<uint8_t>(MsgType::kChannelState));
      Write(root / "consumer_messages" / s.name, in);
    }
  }

  // A whole conversation (one direction, numbered 1, 2, ...), whole and cut into small chunks:
  // the active's bulk sync, its stream and a switchover.
  Hello hello;
  hello.node_id = 2;
  hello.hlc = kStamp;
  hello.cluster = "pair-a";
  Bytes stream;
  uint64_t seq = 1;
  auto add = [&](const Bytes& f) { stream.insert(stream.end(), f.begin(), f.end()); };
  add(Frame(hello, seq++));
  add(Frame(Heartbeat{2, 2, 0}, seq++));
  add(Frame(BulkBegin{SyncKind::kBulk, 50, 6}, seq++));
  add(Batch(SyncKind::kBulk, "sessions", 6, seq++));
  add(Batch(SyncKind::kIncremental, "sessions", 2, seq++));
  add(Frame(RecordEof{SyncKind::kBulk, 50, 6, 0x9e3779b97f4a7c15}, seq++));
  add(Frame(Ack{4}, seq++));
  add(Frame(SwitchoverRequest{1, 60, kStamp + 1, false}, seq++));
  add(Frame(Goodbye{GoodbyeReason::kShutdown, "bye"}, seq++));
  Write(root / "frame_reader" / "stream_whole", ReaderInput(0x80, stream));
  Write(root / "frame_reader" / "stream_bytewise", ReaderInput(1, stream));
  Write(root / "frame_reader" / "stream_chunks_7", ReaderInput(0x87, stream));
  Write(root / "frame_reader" / "stream_chunks_100", ReaderInput(100, stream));

  // Both directions of a reconciliation after a split-brain (docs/protocol.md, Reconciliation):
  // the yielder's request and records, then the active's answer and the empty confirming bulk.
  Bytes yielder;
  seq = 1;
  auto add_yielder = [&](const Bytes& f) { yielder.insert(yielder.end(), f.begin(), f.end()); };
  Hello yielding = hello;
  yielding.role = 1;
  yielding.active_ms = 4000;
  add_yielder(Frame(yielding, seq++));
  add_yielder(Frame(Heartbeat{2, 0, 50}, seq++));
  add_yielder(Frame(SyncRequest{SyncKind::kReconcile, 61, ReconcileReason::kSplitBrain}, seq++));
  add_yielder(Frame(BulkBegin{SyncKind::kReconcile, 61, 7}, seq++));
  add_yielder(Batch(SyncKind::kReconcile, "sessions", 4, seq++));
  add_yielder(Batch(SyncKind::kReconcile, "nat", 3, seq++));
  add_yielder(Frame(RecordEof{SyncKind::kReconcile, 61, 7, 0x0123456789abcdef}, seq++));
  add_yielder(Frame(Ack{3}, seq++));
  Write(root / "frame_reader" / "stream_reconcile_yielder", ReaderInput(0x80, yielder));
  Write(root / "frame_reader" / "stream_reconcile_yielder_chunks_5", ReaderInput(0x85, yielder));

  Bytes active;
  seq = 1;
  auto add_active = [&](const Bytes& f) { active.insert(active.end(), f.begin(), f.end()); };
  Hello keeping = hello;
  keeping.node_id = 1;
  keeping.role = 1;
  keeping.active_ms = 9000;
  add_active(Frame(keeping, seq++));
  add_active(Frame(Heartbeat{1, 3, 60}, seq++));
  add_active(Frame(SyncResponse{SyncKind::kReconcile, true, 60}, seq++));
  add_active(Frame(Ack{7}, seq++));
  add_active(Frame(BulkBegin{SyncKind::kBulk, 61, 0}, seq++));
  add_active(Frame(RecordEof{SyncKind::kBulk, 61, 0, 0x0123456789abcdef}, seq++));
  Write(root / "frame_reader" / "stream_reconcile_active", ReaderInput(0x80, active));

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
