// The simulator's own frame validator (the wire_valid check): it accepts what the wire encoders
// produce however it is split, and rejects a flipped bit or a skipped sequence number.
#include "sim/frames.h"

#include <gtest/gtest.h>

#include <vector>

#include "wire/messages.h"

namespace hasync::sim {
namespace {

std::vector<uint8_t> Heartbeats(uint64_t first_seq, int count) {
  std::vector<uint8_t> out;
  wire::FrameWriter frames(&out);
  for (int i = 0; i < count; ++i) {
    wire::Encode(frames, first_seq + i, wire::Heartbeat{1, 0, 7});
  }
  return out;
}

TEST(FrameScanner, AcceptsFramesSplitAnywhere) {
  const std::vector<uint8_t> bytes = Heartbeats(1, 3);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameScanner scanner;
    std::vector<Frame> frames = scanner.Feed(std::span(bytes).first(cut));
    for (Frame& f : scanner.Feed(std::span(bytes).subspan(cut))) frames.push_back(std::move(f));
    ASSERT_EQ(scanner.error(), "") << "cut at " << cut;
    ASSERT_EQ(frames.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(frames[2].seq, 3u);
    EXPECT_EQ(frames[2].type, wire::MsgType::kHeartbeat);
    EXPECT_EQ(DescribeFrame(frames[0]).substr(0, 16), "heartbeat active");
  }
}

TEST(FrameScanner, FlippedBitIsAChecksumError) {
  std::vector<uint8_t> bytes = Heartbeats(1, 1);
  bytes[18] ^= 0x04;
  FrameScanner scanner;
  EXPECT_TRUE(scanner.Feed(bytes).empty());
  EXPECT_NE(scanner.error().find("checksum"), std::string::npos) << scanner.error();
}

TEST(FrameScanner, SkippedSequenceNumberIsAnError) {
  FrameScanner scanner;
  EXPECT_EQ(scanner.Feed(Heartbeats(1, 1)).size(), 1u);
  EXPECT_TRUE(scanner.Feed(Heartbeats(3, 1)).empty());
  EXPECT_NE(scanner.error().find("seq 3"), std::string::npos) << scanner.error();
}

}  // namespace
}  // namespace hasync::sim
