#include "tcp/snapshot_codec.h"

#include <gtest/gtest.h>

#include <functional>

namespace hasync::tcp {
namespace {

TcpSnapshot Sample(Endpoint::Family family) {
  TcpSnapshot s;
  s.local.family = family;
  s.remote.family = family;
  for (size_t i = 0; i < (family == Endpoint::Family::kIpv6 ? 16u : 4u); ++i) {
    s.local.addr[i] = static_cast<uint8_t>(i + 1);
    s.remote.addr[i] = static_cast<uint8_t>(200 - i);
  }
  s.local.port = 8080;
  s.remote.port = 51234;
  s.send_seq = 0xfffffff0;  // wraps inside the send queue
  s.recv_seq = 12345;
  s.mss = 1448;
  s.send_wscale = 7;
  s.recv_wscale = 9;
  s.window_scaling = true;
  s.sack = true;
  s.timestamps = true;
  s.nodelay = true;
  s.timestamp = 0x12345679;
  s.captured_at_us = 1'790'000'000'000'000;
  s.window = {.snd_wl1 = 1, .snd_wnd = 2, .max_window = 3, .rcv_wnd = 4, .rcv_wup = 5};
  s.send_queue = std::string(100, 'x');
  s.unsent_bytes = 40;
  s.recv_queue = "unread";
  return s;
}

std::vector<uint8_t> Encode(const TcpSnapshot& s) {
  std::vector<uint8_t> out;
  EncodeSnapshot(s, out);
  return out;
}

TEST(SnapshotCodec, RoundTripsIpv4AndIpv6) {
  for (auto family : {Endpoint::Family::kIpv4, Endpoint::Family::kIpv6}) {
    TcpSnapshot s = Sample(family);
    Result<TcpSnapshot> back = DecodeSnapshot(Encode(s));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, s);
  }
}

TEST(SnapshotCodec, LayoutIsTheDocumentedOne) {
  // docs/protocol.md: version, flags, local (4 + 2), remote (4 + 2), then 48 bytes of fixed
  // fields, then the queues with u32 lengths.
  TcpSnapshot s = Sample(Endpoint::Family::kIpv4);
  std::vector<uint8_t> bytes = Encode(s);
  EXPECT_EQ(bytes.size(), 2 + 6 + 6 + 48 + 4 + 100 + 4 + 6);
  EXPECT_EQ(bytes[0], kSnapshotVersion);
  EXPECT_EQ(bytes[1], 0x1e);  // window scaling, SACK, timestamps, nodelay; not IPv6
  EXPECT_EQ(bytes[2], 1);     // the local address, in network order
  EXPECT_EQ(bytes[6], 8080 & 0xff);
  EXPECT_EQ(bytes[7], 8080 >> 8);
  EXPECT_EQ(Encode(Sample(Endpoint::Family::kIpv6)).size(), bytes.size() + 24);
}

void ExpectRejected(const std::vector<uint8_t>& bytes, const std::string& why,
                    uint32_t max_queue = kMaxQueueBytes) {
  Result<TcpSnapshot> r = DecodeSnapshot(bytes, max_queue);
  ASSERT_FALSE(r.ok()) << "accepted, expected: " << why;
  EXPECT_EQ(r.status().code(), Code::kProtocol);
  EXPECT_NE(r.status().message().find(why), std::string::npos) << r.status().message();
}

TEST(SnapshotCodec, RejectsEveryTruncation) {
  std::vector<uint8_t> bytes = Encode(Sample(Endpoint::Family::kIpv6));
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    EXPECT_FALSE(DecodeSnapshot(cut).ok()) << "accepted the first " << n << " bytes";
  }
}

TEST(SnapshotCodec, RejectsTrailingBytes) {
  std::vector<uint8_t> bytes = Encode(Sample(Endpoint::Family::kIpv4));
  bytes.push_back(0);
  ExpectRejected(bytes, "trailing bytes");
}

TEST(SnapshotCodec, RejectsAnotherVersionAndUnknownFlags) {
  std::vector<uint8_t> bytes = Encode(Sample(Endpoint::Family::kIpv4));
  bytes[0] = 2;
  ExpectRejected(bytes, "version 2");
  bytes[0] = kSnapshotVersion;
  bytes[1] |= 0x20;
  ExpectRejected(bytes, "unknown bits");
}

TEST(SnapshotCodec, RejectsOutOfRangeFields) {
  auto reject = [](const std::function<void(TcpSnapshot&)>& spoil, const std::string& why) {
    TcpSnapshot s = Sample(Endpoint::Family::kIpv4);
    spoil(s);
    ExpectRejected(Encode(s), why);
  };
  reject([](TcpSnapshot& s) { s.local.port = 0; }, "local port is 0");
  reject([](TcpSnapshot& s) { s.remote.port = 0; }, "remote port is 0");
  reject([](TcpSnapshot& s) { s.mss = 0; }, "mss is 0");
  reject([](TcpSnapshot& s) { s.send_wscale = 15; }, "send_wscale is 15");
  reject([](TcpSnapshot& s) { s.recv_wscale = 255; }, "recv_wscale is 255");
  reject([](TcpSnapshot& s) { s.unsent_bytes = 101; }, "unsent_bytes 101");
}

TEST(SnapshotCodec, RejectsAQueueOverTheLimitBeforeCopyingIt) {
  TcpSnapshot s = Sample(Endpoint::Family::kIpv4);
  ExpectRejected(Encode(s), "send_queue length 100 over the limit of 99", 99);
  s.send_queue.clear();
  s.unsent_bytes = 0;
  ExpectRejected(Encode(s), "recv_queue length 6 over the limit of 5", 5);
  // A length the bytes do not back is refused as truncated, whatever it claims.
  std::vector<uint8_t> bytes = Encode(s);
  size_t recv_length_at = bytes.size() - 6 - 4;
  bytes[recv_length_at + 3] = 0x01;  // 16 MiB + 6
  ExpectRejected(bytes, "payload ends inside recv_queue");
}

}  // namespace
}  // namespace hasync::tcp
