#include "tcp/snapshot_codec.h"

#include "fmt/format.h"
#include "wire/codec.h"

namespace hasync::tcp {
namespace {

// Bits of the flags byte; the others must be zero.
constexpr uint8_t kFlagIpv6 = 1 << 0;
constexpr uint8_t kFlagWindowScaling = 1 << 1;
constexpr uint8_t kFlagSack = 1 << 2;
constexpr uint8_t kFlagTimestamps = 1 << 3;
constexpr uint8_t kFlagNodelay = 1 << 4;
constexpr uint8_t kKnownFlags = 0x1f;

// RFC 7323: a window scale above 14 is invalid.
constexpr uint8_t kMaxWindowScale = 14;

size_t AddressBytes(Endpoint::Family family) { return family == Endpoint::Family::kIpv6 ? 16 : 4; }

uint8_t FlagsOf(const TcpSnapshot& s) {
  uint8_t flags = 0;
  if (s.local.family == Endpoint::Family::kIpv6) flags |= kFlagIpv6;
  if (s.window_scaling) flags |= kFlagWindowScaling;
  if (s.sack) flags |= kFlagSack;
  if (s.timestamps) flags |= kFlagTimestamps;
  if (s.nodelay) flags |= kFlagNodelay;
  return flags;
}

void PutEndpoint(const Endpoint& e, std::vector<uint8_t>& out) {
  out.insert(out.end(), e.addr.begin(), e.addr.begin() + AddressBytes(e.family));
  wire::PutLE<uint16_t>(out, e.port);
}

void PutQueue(const std::string& queue, std::vector<uint8_t>& out) {
  wire::CheckOrDie(queue.size() <= kMaxQueueBytes, "TCP snapshot queue over kMaxQueueBytes");
  wire::PutLE<uint32_t>(out, static_cast<uint32_t>(queue.size()));
  wire::PutBytes(out, queue);
}

Endpoint ReadEndpoint(wire::PayloadReader& r, Endpoint::Family family, const char* addr_field,
                      const char* port_field) {
  Endpoint e;
  e.family = family;
  std::string_view addr = r.Bytes(AddressBytes(family), addr_field);
  std::copy(addr.begin(), addr.end(), e.addr.begin());
  e.port = r.U16(port_field);
  if (r.ok() && e.port == 0) r.Invalid(fmt::format("{} is 0", port_field));
  return e;
}

std::string ReadQueue(wire::PayloadReader& r, uint32_t max_bytes, const char* field) {
  uint32_t n = r.U32(field);
  if (r.ok() && n > max_bytes) {
    r.Invalid(fmt::format("{} length {} over the limit of {}", field, n, max_bytes));
  }
  return std::string(r.Bytes(n, field));
}

uint8_t ReadWindowScale(wire::PayloadReader& r, const char* field) {
  uint8_t v = r.U8(field);
  if (r.ok() && v > kMaxWindowScale) {
    r.Invalid(fmt::format("{} is {}, at most {}", field, v, kMaxWindowScale));
  }
  return v;
}

}  // namespace

void EncodeSnapshot(const TcpSnapshot& s, std::vector<uint8_t>& out) {
  wire::CheckOrDie(s.local.family == s.remote.family, "TCP snapshot mixes address families");
  wire::PutLE<uint8_t>(out, kSnapshotVersion);
  wire::PutLE<uint8_t>(out, FlagsOf(s));
  PutEndpoint(s.local, out);
  PutEndpoint(s.remote, out);
  wire::PutLE<uint32_t>(out, s.send_seq);
  wire::PutLE<uint32_t>(out, s.recv_seq);
  wire::PutLE<uint16_t>(out, s.mss);
  wire::PutLE<uint8_t>(out, s.send_wscale);
  wire::PutLE<uint8_t>(out, s.recv_wscale);
  wire::PutLE<uint32_t>(out, s.timestamp);
  wire::PutLE<uint64_t>(out, s.captured_at_us);
  wire::PutLE<uint32_t>(out, s.window.snd_wl1);
  wire::PutLE<uint32_t>(out, s.window.snd_wnd);
  wire::PutLE<uint32_t>(out, s.window.max_window);
  wire::PutLE<uint32_t>(out, s.window.rcv_wnd);
  wire::PutLE<uint32_t>(out, s.window.rcv_wup);
  wire::PutLE<uint32_t>(out, s.unsent_bytes);
  PutQueue(s.send_queue, out);
  PutQueue(s.recv_queue, out);
}

Result<TcpSnapshot> DecodeSnapshot(std::span<const uint8_t> bytes, uint32_t max_queue_bytes) {
  wire::PayloadReader r(bytes, "TcpSnapshot");
  TcpSnapshot s;
  uint8_t version = r.U8("version");
  if (r.ok() && version != kSnapshotVersion) {
    return ProtocolError(
        fmt::format("TcpSnapshot: version {}, this build reads {}", version, kSnapshotVersion));
  }
  uint8_t flags = r.U8("flags");
  if (r.ok() && (flags & ~kKnownFlags) != 0) {
    r.Invalid(fmt::format("flags 0x{:02x} has unknown bits", flags));
  }
  auto family = (flags & kFlagIpv6) != 0 ? Endpoint::Family::kIpv6 : Endpoint::Family::kIpv4;
  s.window_scaling = (flags & kFlagWindowScaling) != 0;
  s.sack = (flags & kFlagSack) != 0;
  s.timestamps = (flags & kFlagTimestamps) != 0;
  s.nodelay = (flags & kFlagNodelay) != 0;
  s.local = ReadEndpoint(r, family, "local address", "local port");
  s.remote = ReadEndpoint(r, family, "remote address", "remote port");
  s.send_seq = r.U32("send_seq");
  s.recv_seq = r.U32("recv_seq");
  s.mss = r.U16("mss");
  if (r.ok() && s.mss == 0) r.Invalid("mss is 0");
  s.send_wscale = ReadWindowScale(r, "send_wscale");
  s.recv_wscale = ReadWindowScale(r, "recv_wscale");
  s.timestamp = r.U32("timestamp");
  s.captured_at_us = r.U64("captured_at_us");
  s.window.snd_wl1 = r.U32("snd_wl1");
  s.window.snd_wnd = r.U32("snd_wnd");
  s.window.max_window = r.U32("max_window");
  s.window.rcv_wnd = r.U32("rcv_wnd");
  s.window.rcv_wup = r.U32("rcv_wup");
  s.unsent_bytes = r.U32("unsent_bytes");
  s.send_queue = ReadQueue(r, max_queue_bytes, "send_queue");
  if (r.ok() && s.unsent_bytes > s.send_queue.size()) {
    r.Invalid(fmt::format("unsent_bytes {} over the send queue's {}", s.unsent_bytes,
                          s.send_queue.size()));
  }
  s.recv_queue = ReadQueue(r, max_queue_bytes, "recv_queue");
  if (Status st = r.Finish(); !st.ok()) return st;
  return s;
}

}  // namespace hasync::tcp
