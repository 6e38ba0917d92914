// Corrupts one byte at every offset of valid frames and checks that the reader notices, without
// crashing (the asan preset runs this under ASan+UBSan).
#include <gtest/gtest.h>

#include <string>

#include "wire/frame.h"
#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;

// A small limit keeps the padding below cheap while still covering every length outcome.
constexpr uint32_t kMaxFrame = 64 * 1024;

// Feeds `frame` with byte `at` xor-ed with `mask`, then enough zeros to complete any length the
// corruption may claim, and returns the first non-frame status.
Status ReadCorrupted(const Bytes& frame, size_t at, uint8_t mask, FrameError* error) {
  Bytes bad = frame;
  bad[at] ^= mask;
  FrameReader reader(kMaxFrame);
  reader.Feed(bad);
  Result<FrameView> f = reader.Next();
  if (f.ok() || f.status().code() == Code::kNotFound) {
    reader.Feed(Bytes(kMaxFrame, 0));
    f = reader.Next();
  }
  *error = reader.last_error();
  return f.status();
}

void ExpectEveryCorruptionDetected(const Bytes& frame, const std::string& name) {
  for (size_t at = 0; at < frame.size(); ++at) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}, uint8_t{0xff}}) {
      FrameError error = FrameError::kNone;
      Status s = ReadCorrupted(frame, at, mask, &error);
      ASSERT_EQ(s.code(), Code::kProtocol)
          << name << ": byte " << at << " ^ " << int(mask) << ": " << s.ToString();
      if (at >= 4) {
        // Everything after the length is covered by the checksum (including the checksum).
        EXPECT_EQ(error, FrameError::kBadChecksum)
            << name << ": byte " << at << ": " << s.message();
      } else {
        EXPECT_TRUE(error == FrameError::kBadLength || error == FrameError::kTooLarge ||
                    error == FrameError::kBadChecksum)
            << name << ": byte " << at << ": " << s.message();
      }
    }
  }
}

TEST(Corruption, EveryByteOfEveryMessageTypeIsChecked) {
  std::vector<Bytes> frames = testing::SampleFrames();
  for (size_t i = 0; i < frames.size(); ++i) {
    ExpectEveryCorruptionDetected(frames[i], "type " + std::to_string(i + 1));
  }
}

TEST(Corruption, EveryByteOfALargerBatchIsChecked) {
  ExpectEveryCorruptionDetected(testing::SampleBatch(1, 40), "batch of 40");
}

}  // namespace
}  // namespace hasync::wire
