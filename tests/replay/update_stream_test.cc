// UpdateStream: one op cut into fragments (kUpdateMore on all but the last), numbered in
// sequence, each with at least one record; an op without records is one empty frame.
#include "replay/update_stream.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hasync::replay {
namespace {

std::vector<wire::ConsumerUpdate> Frames(const std::vector<uint8_t>& bytes,
                                         std::vector<std::string>* keys) {
  std::vector<wire::ConsumerUpdate> out;
  wire::FrameReader reader;
  reader.Feed(bytes);
  while (true) {
    Result<wire::FrameView> f = reader.Next();
    if (!f.ok()) {
      EXPECT_EQ(f.status().code(), Code::kNotFound) << f.status().ToString();
      return out;
    }
    Result<wire::ConsumerUpdate> u = wire::DecodeConsumerUpdate(f->payload, {});
    EXPECT_TRUE(u.ok()) << u.status().ToString();
    for (const wire::UpdateRecord& r : u->records) keys->emplace_back(r.key);
    out.push_back(*u);
  }
}

const wire::ConsumerUpdate kHeader{7, 3, 99, 0b101, true, false, 0b100, {}};

TEST(UpdateStream, CutsAnOpIntoFragmentsMarkedMore) {
  std::vector<uint8_t> bytes;
  uint64_t seq = 1;
  UpdateStream out(&bytes, &seq, kHeader, 300);
  const std::string value(100, 'v');
  for (int i = 0; i < 7; ++i) {
    out.Add({2, wire::UpdateKind::kPut, "key" + std::to_string(i), value});
  }
  out.Finish(false);
  std::vector<std::string> keys;
  std::vector<wire::ConsumerUpdate> frames = Frames(bytes, &keys);
  ASSERT_EQ(frames.size(), out.frames());
  EXPECT_EQ(frames.size(), 4u);  // the 45-byte header and two records of 112 bytes fit in 300
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].more, i + 1 < frames.size()) << i;
    EXPECT_EQ(frames[i].op, 3u);
    EXPECT_EQ(frames[i].reset, 0b100u);
    EXPECT_TRUE(frames[i].replay);
  }
  EXPECT_EQ(keys.size(), 7u);
  EXPECT_EQ(out.records(), 7u);
  EXPECT_EQ(out.record_bytes(), 7 * (4 + value.size()));
  EXPECT_EQ(seq, 5u);
}

TEST(UpdateStream, RecordLargerThanAFragmentGoesAlone) {
  std::vector<uint8_t> bytes;
  uint64_t seq = 1;
  UpdateStream out(&bytes, &seq, kHeader, 100);
  out.Add({1, wire::UpdateKind::kPut, "a", std::string(500, 'x')});
  out.Add({1, wire::UpdateKind::kDelete, "b", {}});
  out.Finish(false);
  std::vector<std::string> keys;
  std::vector<wire::ConsumerUpdate> frames = Frames(bytes, &keys);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].records.size(), 1u);
  EXPECT_TRUE(frames[0].more);
  EXPECT_FALSE(frames[1].more);
}

TEST(UpdateStream, OpWithoutRecordsIsOneFrame) {
  std::vector<uint8_t> bytes;
  uint64_t seq = 1;
  UpdateStream out(&bytes, &seq, kHeader, 100);
  out.Finish(false);
  std::vector<std::string> keys;
  std::vector<wire::ConsumerUpdate> frames = Frames(bytes, &keys);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_FALSE(frames[0].more);
  EXPECT_TRUE(frames[0].records.empty());
}

}  // namespace
}  // namespace hasync::replay
