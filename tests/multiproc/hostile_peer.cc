// hasync_hostile_peer: connects to a running hasyncd's sync port and does one hostile thing to it,
// then prints one JSON line saying what the node did about it. Test-only (tests/multiproc).
//
//   hasync_hostile_peer --connect 127.0.0.1:7400 --case bad-checksum [--cluster mp-test] ...
//   hasync_hostile_peer --list
//
// Every frame it sends is built with the real encoders of src/wire, so a "valid" frame is
// really valid and the hostile part is exactly the one the case names: a flipped checksum byte, a
// length over the limit, a message the node must not accept in its state. After the case it
// reads what the node sends (parsing it as frames, to find a Goodbye) until the node closes the
// connection or --wait-ms pass. Output, one line:
//   {"case", "connected", "sent_bytes", "received_bytes", "frames": {type: count},
//    "closed_by_node", "close": "eof"|"reset"|"open"|..., "close_ms" (from the end of the case),
//    "goodbye": {"reason", "text"}, and per case extras (expect_class, flood counts, ...)}
// Exit status 0 when the case ran (whatever the node did), 1 when it could not (no connection),
// 2 for a usage error. It never decides whether the node did right: the test does.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <xxhash.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "wire/codec.h"
#include "wire/frame.h"
#include "wire/messages.h"
#include "wire/record_batch.h"

namespace {

using namespace hasync;
using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

struct Options {
  std::string connect;
  std::string name;  // the case
  std::string cluster = "mp-test";
  uint16_t node_id = 2;        // the id this peer claims in its hello
  uint16_t target_id = 1;      // the node's own id (hello-same-node-id claims it)
  uint16_t version = 1;        // hello-other-version
  uint64_t seed = 0;           // random-bytes; 0: from the clock
  int count = 0;               // random-bytes: bytes; flood: connections (0: the case's default)
  int wait_ms = 5000;          // how long to wait for the node to end the connection
  bool then_close = false;     // truncated-frame: close at once instead of staying silent
  int rcvbuf = 4096;           // stop-reading: SO_RCVBUF, so the node's bytes back up quickly
  int heartbeat_ms = 50;       // stop-reading: heartbeat interval
  int duration_ms = 0;         // flood: keep flooding this long (0: one burst of --count)
  uint64_t max_total = 20000;  // flood: connections in all, at most
};

int64_t MsSince(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// --- frames ---------------------------------------------------------------------------------

// The settings digest and frame limit of a node with default limits (what the harness runs).
const core::CoreConfig& Defaults() {
  static const core::CoreConfig config;
  return config;
}

wire::Hello MakeHello(const Options& o, uint8_t role) {
  wire::Hello h;
  h.node_id = o.node_id;
  h.priority = 0;  // never outranks the node under test
  h.role = role;
  h.config_digest = core::SharedConfigDigest(Defaults());
  h.hlc = 1;
  h.cluster = o.cluster;
  return h;
}

template <typename Message>
Bytes Frame(uint64_t seq, const Message& m) {
  Bytes out;
  wire::FrameWriter w(&out);
  wire::Encode(w, seq, m);
  return out;
}

// One valid records batch of kind `kind` with one upsert whose value has `value_bytes` bytes.
Bytes RecordsFrame(uint64_t seq, wire::SyncKind kind, size_t value_bytes) {
  Bytes out;
  wire::FrameWriter frames(&out);
  wire::RecordBatchWriter batch(&frames);
  std::string value(value_bytes, 'h');
  batch.Begin(seq, kind, "sessions");
  batch.Add({wire::RecordOp::kUpsert, "hostile-key", value, 1u << 30, 1, 0});
  batch.Finish();
  return out;
}

// Rewrites the frame's checksum after a deliberate change to its header, so that the change,
// not the checksum, is what the node must notice.
void Reseal(Bytes& frame) {
  size_t body = frame.size() - wire::kFrameTrailerBytes;
  wire::StoreLE<uint64_t>(frame.data() + body, XXH3_64bits(frame.data() + 4, body - 4));
}

// --- the connection -------------------------------------------------------------------------

int Connect(const std::string& where, int rcvbuf = 0) {
  size_t colon = where.rfind(':');
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (colon == std::string::npos ||
      inet_pton(AF_INET, where.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
    return -EINVAL;
  }
  addr.sin_port = htons(static_cast<uint16_t>(std::stoi(where.substr(colon + 1))));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

std::string LocalAddress(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  char ip[INET_ADDRSTRLEN] = "?";
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  }
  return std::string(ip) + ":" + std::to_string(ntohs(addr.sin_port));
}

// What one connection saw; becomes the JSON line.
struct Report {
  json j = json::object();
  int fd = -1;
  uint64_t sent = 0;
  uint64_t received = 0;
  std::map<std::string, int> frames;
  wire::FrameReader reader{UINT32_MAX};
  std::string stream_error;  // the node's bytes were not hasync frames (e.g. a TLS alert)
  Clock::time_point case_done = Clock::now();
  std::string close;  // "" while open
};

const char* TypeName(wire::MsgType t) {
  static constexpr const char* kNames[] = {"?",
                                           "hello",
                                           "heartbeat",
                                           "records",
                                           "bulk_begin",
                                           "record_eof",
                                           "ack",
                                           "switchover_request",
                                           "switchover_response",
                                           "sync_request",
                                           "sync_response",
                                           "goodbye",
                                           "channel_state",
                                           "consumer_ops",
                                           "consumer_acks",
                                           "channel_drop",
                                           "consumer_hello",
                                           "consumer_welcome",
                                           "consumer_update",
                                           "consumer_ack",
                                           "consumer_ping"};
  auto i = static_cast<size_t>(t);
  return i < std::size(kNames) ? kNames[i] : "?";
}

void Parse(Report& r, const uint8_t* data, size_t n) {
  r.received += n;
  if (!r.stream_error.empty()) return;
  r.reader.Feed({data, n});
  for (;;) {
    Result<wire::FrameView> f = r.reader.Next();
    if (!f.ok()) {
      if (f.status().code() != Code::kNotFound) r.stream_error = f.status().ToString();
      return;
    }
    ++r.frames[TypeName(f->type)];
    if (f->type == wire::MsgType::kGoodbye) {
      Result<wire::Goodbye> g = wire::DecodeGoodbye(f->payload);
      if (g.ok()) r.j["goodbye"] = {{"reason", static_cast<int>(g->reason)}, {"text", g->text}};
    }
  }
}

// Sends all of `bytes` unless the node closes first; returns false then.
bool Send(Report& r, const Bytes& bytes) {
  size_t at = 0;
  while (at < bytes.size()) {
    ssize_t n = send(r.fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      r.close = std::string("send failed: ") + std::strerror(errno);  // the node closed
      return false;
    }
    at += static_cast<size_t>(n);
    r.sent += static_cast<uint64_t>(n);
  }
  return true;
}

// Reads (and parses) what arrives for up to `ms`; stops early when the node closes.
void Drain(Report& r, int ms) {
  Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(ms);
  std::vector<uint8_t> buf(1 << 16);
  while (r.close.empty()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return;
    pollfd p{r.fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    ssize_t n = recv(r.fd, buf.data(), buf.size(), 0);
    if (n > 0) {
      Parse(r, buf.data(), static_cast<size_t>(n));
    } else if (n == 0) {
      r.close = "eof";
    } else if (errno != EINTR && errno != EAGAIN) {
      r.close = errno == ECONNRESET ? "reset" : std::string("error: ") + std::strerror(errno);
    }
  }
}

// The common ending: the case's bytes are out; wait for the node to end the connection.
void Observe(Report& r, const Options& o) {
  r.case_done = Clock::now();
  Drain(r, o.wait_ms);
  r.j["close_ms"] = r.close.empty() ? json(nullptr) : json(MsSince(r.case_done));
}

// --- the cases ------------------------------------------------------------------------------

using CaseFn = void (*)(Report&, const Options&);

void SendThenObserve(Report& r, const Options& o, const Bytes& bytes) {
  if (Send(r, bytes)) {
    Observe(r, o);
  } else {
    r.j["close_ms"] = 0;
  }
}

// A valid hello as a standby of lower priority, then `rest` (numbered from seq 2 on).
void AfterHello(Report& r, const Options& o, const std::function<Bytes()>& rest) {
  if (!Send(r, Frame(1, MakeHello(o, /*standby*/ 2)))) return;
  // The node's hello and (it is active) the start of a bulk sync; well within its peer deadline
  // (3 heartbeats, 150 ms in the tests), since this peer sends no heartbeat.
  Drain(r, 30);
  if (r.close.empty()) SendThenObserve(r, o, rest());
}

void RandomBytes(Report& r, const Options& o) {
  uint64_t seed =
      o.seed != 0 ? o.seed : static_cast<uint64_t>(Clock::now().time_since_epoch().count());
  std::mt19937_64 rng(seed);
  Bytes bytes(static_cast<size_t>(o.count > 0 ? o.count : 65536));
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  // Which check must fail first follows from the first four bytes (frame.h's order); if they
  // announce a frame that fits, send all of it, so that the node does not just wait for more.
  uint32_t length = wire::LoadLE<uint32_t>(bytes.data());
  uint64_t frame_bytes = uint64_t{length} + 4;
  uint32_t max = core::MaxFrameBytes(Defaults());
  const char* expect = "checksum";
  if (length < wire::kFrameOverheadBytes - 4) {
    expect = "length";
  } else if (frame_bytes > max) {
    expect = "too_large";
  } else if (frame_bytes > bytes.size()) {
    size_t old = bytes.size();
    bytes.resize(frame_bytes);
    for (size_t i = old; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(rng());
  }
  r.j["seed"] = seed;
  r.j["first_length"] = length;
  r.j["expect_class"] = expect;
  SendThenObserve(r, o, bytes);
}

void TruncatedFrame(Report& r, const Options& o) {
  Bytes hello = Frame(1, MakeHello(o, 2));
  hello.resize(hello.size() / 2);
  if (!Send(r, hello)) return;
  if (o.then_close) {
    r.close = "closed-by-us";
    r.j["close_ms"] = nullptr;
    return;
  }
  Observe(r, o);
}

void OversizedFrame(Report& r, const Options& o) {
  uint32_t max = core::MaxFrameBytes(Defaults());
  Bytes frame = Frame(1, MakeHello(o, 2));
  wire::StoreLE<uint32_t>(frame.data(), max - 4 + 1);  // one byte over the whole-frame limit
  r.j["length_field"] = max - 4 + 1;
  // Then keep sending "body" (up to 1 MiB) while the node allows: it must cut the connection on
  // the length alone, without buffering what follows.
  Bytes body(64 << 10, 0x5a);
  if (!Send(r, frame)) return;
  r.case_done = Clock::now();
  for (int i = 0; i < 16 && r.close.empty(); ++i) {
    if (!Send(r, body)) break;
    Drain(r, 20);
  }
  if (r.close.empty()) Drain(r, o.wait_ms);
  r.j["close_ms"] = MsSince(r.case_done);
}

void BadChecksum(Report& r, const Options& o) {
  Bytes hello = Frame(1, MakeHello(o, 2));
  hello.back() ^= 0x01;
  SendThenObserve(r, o, hello);
}

void BadHeader(Report& r, const Options& o) {  // flags 0x80, checksum right
  Bytes hello = Frame(1, MakeHello(o, 2));
  hello[5] = 0x80;
  Reseal(hello);
  SendThenObserve(r, o, hello);
}

void UnknownType(Report& r, const Options& o) {  // type 200, checksum right
  Bytes hello = Frame(1, MakeHello(o, 2));
  hello[4] = 200;
  Reseal(hello);
  SendThenObserve(r, o, hello);
}

void BadSequence(Report& r, const Options& o) {  // the first frame numbered 2
  SendThenObserve(r, o, Frame(2, MakeHello(o, 2)));
}

void BadPayload(Report& r, const Options& o) {  // a hello whose role is 7
  wire::Hello h = MakeHello(o, 2);
  h.role = 7;
  SendThenObserve(r, o, Frame(1, h));
}

void LengthTooSmall(Report& r, const Options& o) {
  Bytes frame = Frame(1, MakeHello(o, 2));
  wire::StoreLE<uint32_t>(frame.data(), 8);
  SendThenObserve(r, o, frame);
}

// Valid frames, each before any hello.
void RecordsBeforeHello(Report& r, const Options& o) {
  SendThenObserve(r, o, RecordsFrame(1, wire::SyncKind::kIncremental, 16));
}
void BulkBeginBeforeHello(Report& r, const Options& o) {
  SendThenObserve(r, o, Frame(1, wire::BulkBegin{wire::SyncKind::kBulk, 1u << 30, 1}));
}
void AckBeforeHello(Report& r, const Options& o) { SendThenObserve(r, o, Frame(1, wire::Ack{0})); }
void EofBeforeHello(Report& r, const Options& o) {
  SendThenObserve(r, o, Frame(1, wire::RecordEof{wire::SyncKind::kBulk, 1u << 30, 0, 0}));
}
void SwitchoverResponseBeforeHello(Report& r, const Options& o) {
  SendThenObserve(r, o, Frame(1, wire::SwitchoverResponse{1, true, {}}));
}

// Valid frames after a valid hello as a standby, not allowed in that state.
void EofWithoutBegin(Report& r, const Options& o) {
  AfterHello(r, o, [] { return Frame(2, wire::RecordEof{wire::SyncKind::kBulk, 1u << 30, 0, 0}); });
}
void RecordsToActive(Report& r, const Options& o) {
  AfterHello(r, o, [] { return RecordsFrame(2, wire::SyncKind::kIncremental, 16); });
}
void BulkBeginToActive(Report& r, const Options& o) {
  AfterHello(r, o, [] { return Frame(2, wire::BulkBegin{wire::SyncKind::kBulk, 1u << 30, 1}); });
}
void SecondHello(Report& r, const Options& o) {
  AfterHello(r, o, [&o] { return Frame(2, MakeHello(o, 2)); });
}
void RecordOverLimit(Report& r, const Options& o) {  // a value one byte over the node's limit
  size_t over = Defaults().limits.max_value_bytes + 1;
  AfterHello(r, o, [over] { return RecordsFrame(2, wire::SyncKind::kIncremental, over); });
}

// Hellos the node must refuse.
void HelloOtherCluster(Report& r, const Options& o) {
  wire::Hello h = MakeHello(o, 2);
  h.cluster = o.cluster + "-intruder";
  SendThenObserve(r, o, Frame(1, h));
}
void HelloOtherVersion(Report& r, const Options& o) {
  wire::Hello h = MakeHello(o, 2);
  h.version = o.version;
  SendThenObserve(r, o, Frame(1, h));
}
void HelloSameNodeId(Report& r, const Options& o) {
  wire::Hello h = MakeHello(o, 2);
  h.node_id = o.target_id;
  SendThenObserve(r, o, Frame(1, h));
}
void HelloOtherSettings(Report& r, const Options& o) {
  wire::Hello h = MakeHello(o, 2);
  h.config_digest ^= 1;
  SendThenObserve(r, o, Frame(1, h));
}
// A valid hello and nothing else (against a TLS node: plain TCP where TLS is required).
void PlainHello(Report& r, const Options& o) { SendThenObserve(r, o, Frame(1, MakeHello(o, 2))); }

// A valid hello as a standby, so that the active bulk-syncs to it; then heartbeats, never a read,
// so that only the node's stall detection (not its peer deadline) can end the connection.
void StopReading(Report& r, const Options& o) {
  uint64_t seq = 1;
  if (!Send(r, Frame(seq++, MakeHello(o, 2)))) return;
  r.case_done = Clock::now();
  Clock::time_point deadline = r.case_done + std::chrono::milliseconds(o.wait_ms);
  int heartbeats = 0;
  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(o.heartbeat_ms));
    pollfd p{r.fd, 0, 0};
    if (poll(&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) {
      r.close = "reset";
      break;
    }
    if (!Send(r, Frame(seq++, wire::Heartbeat{2, 0, 0}))) break;
    ++heartbeats;
  }
  int unread = 0;
  ioctl(r.fd, FIONREAD, &unread);
  r.j["heartbeats_sent"] = heartbeats;
  r.j["unread_bytes"] = unread;  // what the node managed to push before it gave up
  r.j["close_ms"] = r.close.empty() ? json(nullptr) : json(MsSince(r.case_done));
}

struct Case {
  const char* name;
  CaseFn run;
  const char* what;
};

// One row per case.
constexpr Case kCases[] = {
    {"random-bytes", RandomBytes, "random bytes (--count, --seed); expect_class says which check"},
    {"truncated-frame", TruncatedFrame,
     "half of a valid hello, then silence (--then-close: close)"},
    {"oversized-frame", OversizedFrame, "a length field one byte over the limit, then 1 MiB more"},
    {"bad-checksum", BadChecksum, "a valid hello with one checksum bit flipped"},
    {"bad-header", BadHeader, "a hello with frame flags 0x80 (checksum right)"},
    {"unknown-type", UnknownType, "a frame of type 200 (checksum right)"},
    {"bad-sequence", BadSequence, "a valid hello numbered 2"},
    {"bad-payload", BadPayload, "a hello whose role field is 7"},
    {"length-too-small", LengthTooSmall, "a length field of 8"},
    {"records-before-hello", RecordsBeforeHello, "a valid records batch as the first frame"},
    {"bulk-begin-before-hello", BulkBeginBeforeHello, "a valid bulk begin as the first frame"},
    {"ack-before-hello", AckBeforeHello, "a valid ack as the first frame"},
    {"eof-before-hello", EofBeforeHello, "a valid record EOF as the first frame"},
    {"switchover-response-before-hello", SwitchoverResponseBeforeHello,
     "a valid switchover response as the first frame"},
    {"eof-without-begin", EofWithoutBegin, "hello (standby), then a record EOF"},
    {"records-to-active", RecordsToActive, "hello (standby), then records for the active"},
    {"bulk-begin-to-active", BulkBeginToActive, "hello (standby), then a bulk begin"},
    {"second-hello", SecondHello, "hello (standby), then another hello"},
    {"record-over-limit", RecordOverLimit, "hello (standby), then a value over max_value_bytes"},
    {"hello-other-cluster", HelloOtherCluster, "a hello of cluster <cluster>-intruder"},
    {"hello-other-version", HelloOtherVersion, "a hello of protocol --version (default 1)"},
    {"hello-same-node-id", HelloSameNodeId, "a hello claiming --target-id, the node's own id"},
    {"hello-other-settings", HelloOtherSettings, "a hello with another config digest"},
    {"plain-hello", PlainHello, "a valid hello, then wait (plain TCP to a TLS node)"},
    {"stop-reading", StopReading, "hello (standby), heartbeats, never read (--wait-ms bounds it)"},
    {"flood", nullptr,
     "--count connections as fast as possible (for --duration-ms), each held "
     "until the node closes it or --wait-ms pass"},
};

// Opens connections as fast as it can and holds each until the node closes it: `count` in one
// burst, or (--duration-ms) for that long with at most `count` open at a time, up to --max-total.
// Reports how the node dealt with them: refused at connect, closed by the node, or still open.
json Flood(const Options& o) {
  size_t open_max = static_cast<size_t>(o.count > 0 ? o.count : 200);
  Clock::time_point t0 = Clock::now();
  Clock::time_point flood_end = t0 + std::chrono::milliseconds(o.duration_ms);
  Clock::time_point deadline = std::max(flood_end, t0) + std::chrono::milliseconds(o.wait_ms);
  std::vector<int> fds;  // open, not yet closed by the node
  std::map<std::string, int> connect_errors;
  uint64_t attempted = 0, connected = 0, closed = 0;
  int64_t flood_ms = 0;  // until the last connection was opened
  std::vector<uint8_t> buf(4096);
  auto flooding = [&] {
    bool more = o.duration_ms > 0 ? Clock::now() < flood_end && attempted < o.max_total
                                  : attempted < open_max;
    return more && fds.size() < open_max;
  };
  while (Clock::now() < deadline && (flooding() || !fds.empty() || Clock::now() < flood_end)) {
    while (flooding()) {
      ++attempted;
      int fd = Connect(o.connect);
      if (fd < 0) {
        ++connect_errors[std::strerror(-fd)];
        continue;
      }
      ++connected;
      flood_ms = MsSince(t0);
      fcntl(fd, F_SETFL, O_NONBLOCK);
      fds.push_back(fd);
    }
    std::vector<pollfd> ps;
    for (int fd : fds) ps.push_back({fd, POLLIN, 0});
    if (poll(ps.data(), ps.size(), 5) <= 0) continue;
    std::vector<int> still;
    for (const pollfd& p : ps) {
      ssize_t n = p.revents == 0 ? -1 : recv(p.fd, buf.data(), buf.size(), 0);
      bool gone = p.revents != 0 && (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR));
      if (gone) {
        ++closed;
        close(p.fd);
      } else {
        still.push_back(p.fd);
      }
    }
    fds.swap(still);
  }
  for (int fd : fds) close(fd);
  return {{"case", "flood"},         {"attempted", attempted},
          {"connected", connected},  {"connect_errors", connect_errors},
          {"ended_by_node", closed}, {"still_open", fds.size()},
          {"flood_ms", flood_ms},    {"ms", MsSince(t0)}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("hasync_hostile_peer: feeds a hasyncd's sync port hostile input", "hostile_peer");
  Options o;
  bool list = false;
  app.add_option("--connect", o.connect, "the node's sync address, ip:port");
  app.add_option("--case", o.name, "what to do (--list)");
  app.add_flag("--list", list, "list the cases");
  app.add_option("--cluster", o.cluster, "cluster name in hellos");
  app.add_option("--node-id", o.node_id, "the node id this peer claims");
  app.add_option("--target-id", o.target_id, "the node's own id (hello-same-node-id)");
  app.add_option("--version", o.version, "protocol version (hello-other-version)");
  app.add_option("--seed", o.seed, "random-bytes: seed (0: from the clock)");
  app.add_option("--count", o.count, "random-bytes: bytes; flood: connections (open at once)");
  app.add_option("--wait-ms", o.wait_ms, "how long to wait for the node to end the connection");
  app.add_flag("--then-close", o.then_close, "truncated-frame: close instead of staying silent");
  app.add_option("--rcvbuf", o.rcvbuf, "stop-reading: SO_RCVBUF");
  app.add_option("--heartbeat-ms", o.heartbeat_ms, "stop-reading: heartbeat interval");
  app.add_option("--duration-ms", o.duration_ms, "flood: keep flooding this long");
  app.add_option("--max-total", o.max_total, "flood: connections in all, at most");
  CLI11_PARSE(app, argc, argv);
  if (list) {
    for (const Case& c : kCases) std::printf("%-34s %s\n", c.name, c.what);
    return 0;
  }
  const Case* found = nullptr;
  for (const Case& c : kCases) {
    if (o.name == c.name) found = &c;
  }
  if (found == nullptr || o.connect.empty()) {
    std::fprintf(stderr, "hostile_peer: need --connect and one --case of --list\n");
    return 2;
  }
  if (found->run == nullptr) {
    std::printf("%s\n", Flood(o).dump().c_str());
    return 0;
  }
  Report r;
  r.j["case"] = o.name;
  r.fd = Connect(o.connect, o.name == "stop-reading" ? o.rcvbuf : 0);
  r.j["connected"] = r.fd >= 0;
  if (r.fd < 0) {
    r.j["error"] = std::strerror(-r.fd);
    std::printf("%s\n", r.j.dump().c_str());
    return 1;
  }
  r.j["local"] = LocalAddress(r.fd);  // how the node's log names this client
  found->run(r, o);
  r.j["sent_bytes"] = r.sent;
  r.j["received_bytes"] = r.received;
  r.j["frames"] = r.frames;
  if (!r.stream_error.empty()) r.j["stream_error"] = r.stream_error;
  r.j["close"] = r.close.empty() ? "open" : r.close;
  r.j["closed_by_node"] = !r.close.empty() && r.close != "closed-by-us";
  close(r.fd);
  std::printf("%s\n", r.j.dump().c_str());
  return 0;
}
