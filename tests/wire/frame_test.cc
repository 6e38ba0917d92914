#include "wire/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <tuple>
#include <vector>

#include "wire/codec.h"
#include "wire/wire_test_util.h"

namespace hasync::wire {
namespace {

using testing::Bytes;
using testing::Concat;
using testing::RawFrame;
using testing::Reseal;
using testing::SampleFrames;

// (type, seq, payload) of every frame the reader yields from `stream` fed in `chunk`-byte pieces.
using Seen = std::vector<std::tuple<MsgType, uint64_t, Bytes>>;
Seen ReadAll(const Bytes& stream, size_t chunk) {
  FrameReader reader;
  Seen seen;
  for (size_t at = 0; at < stream.size(); at += chunk) {
    size_t n = std::min(chunk, stream.size() - at);
    reader.Feed(std::span<const uint8_t>(stream.data() + at, n));
    for (;;) {
      Result<FrameView> f = reader.Next();
      if (!f.ok()) {
        EXPECT_EQ(f.status().code(), Code::kNotFound) << f.status().ToString();
        break;
      }
      seen.emplace_back(f->type, f->seq, Bytes(f->payload.begin(), f->payload.end()));
    }
  }
  EXPECT_EQ(reader.buffered(), 0u);
  return seen;
}

Status NextStatus(FrameReader& reader) { return reader.Next().status(); }

TEST(FrameWriter, LayoutMatchesDocumentation) {
  Bytes out = {0xaa};  // bytes already in the buffer stay untouched
  FrameWriter w(&out);
  w.Begin(MsgType::kAck, 0x0102030405060708);
  EXPECT_EQ(w.open_payload_bytes(), 0u);
  PutLE<uint32_t>(w.out(), 0xdeadbeef);
  EXPECT_EQ(w.open_payload_bytes(), 4u);
  w.Finish();
  EXPECT_EQ(w.open_payload_bytes(), 0u);
  ASSERT_EQ(out.size(), 1 + kFrameOverheadBytes + 4);
  const uint8_t* f = out.data() + 1;
  EXPECT_EQ(out[0], 0xaa);
  EXPECT_EQ(LoadLE<uint32_t>(f), 24u);  // 20 + payload
  EXPECT_EQ(f[4], static_cast<uint8_t>(MsgType::kAck));
  EXPECT_EQ(f[5], 0);
  EXPECT_EQ(LoadLE<uint16_t>(f + 6), 0);
  EXPECT_EQ(LoadLE<uint64_t>(f + 8), 0x0102030405060708u);
  EXPECT_EQ(LoadLE<uint32_t>(f + 16), 0xdeadbeefu);
  EXPECT_EQ(LoadLE<uint64_t>(f + 20), XXH3_64bits(f + 4, 16));
}

TEST(FrameReader, ReadsFramesOfEveryType) {
  std::vector<Bytes> frames = SampleFrames();
  Seen seen = ReadAll(Concat(frames), 1 << 20);
  ASSERT_EQ(seen.size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(std::get<0>(seen[i]), static_cast<MsgType>(i + 1));
    EXPECT_EQ(std::get<1>(seen[i]), i + 1);
    EXPECT_EQ(std::get<2>(seen[i]), testing::PayloadOf(frames[i]));
  }
}

TEST(FrameReader, EmptyPayloadIsAFrame) {
  Seen seen = ReadAll(RawFrame(static_cast<uint8_t>(MsgType::kRecords), 1), 1);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(std::get<2>(seen[0]).empty());
}

TEST(FrameReader, TruncatedFrameWaitsForMoreBytes) {
  Bytes frame = SampleFrames()[0];
  FrameReader reader;
  for (size_t cut : {size_t{0}, size_t{3}, size_t{4}, size_t{16}, frame.size() - 1}) {
    reader = FrameReader();
    reader.Feed(std::span<const uint8_t>(frame.data(), cut));
    Status s = NextStatus(reader);
    EXPECT_EQ(s.code(), Code::kNotFound) << "cut at " << cut;
    EXPECT_EQ(reader.buffered(), cut);
    EXPECT_EQ(reader.last_error(), FrameError::kNone);
    reader.Feed(std::span<const uint8_t>(frame.data() + cut, frame.size() - cut));
    EXPECT_TRUE(reader.Next().ok()) << "cut at " << cut;
    EXPECT_EQ(reader.buffered(), 0u);
  }
}

TEST(FrameReader, OversizedLengthRejectedBeforeBody) {
  // Only the length field arrives: the reader must refuse without waiting for 5 MB of body.
  Bytes length;
  PutLE<uint32_t>(length, 5000000 - 4);
  FrameReader reader;
  reader.Feed(length);
  Status s = NextStatus(reader);
  EXPECT_EQ(s.code(), Code::kProtocol);
  EXPECT_EQ(s.message(), "frame of 5000000 bytes exceeds limit 4194304");
  EXPECT_EQ(reader.last_error(), FrameError::kTooLarge);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(FrameReader, LengthAtLimitIsAccepted) {
  FrameReader reader(64);
  Bytes frame = RawFrame(static_cast<uint8_t>(MsgType::kRecords), 1, Bytes(40, 7));
  ASSERT_EQ(frame.size(), 64u);
  reader.Feed(frame);
  EXPECT_TRUE(reader.Next().ok());
  reader.Feed(RawFrame(static_cast<uint8_t>(MsgType::kRecords), 2, Bytes(41, 7)));
  EXPECT_EQ(NextStatus(reader).message(), "frame of 65 bytes exceeds limit 64");
}

TEST(FrameReader, LengthBelowMinimumRejected) {
  Bytes bytes;
  PutLE<uint32_t>(bytes, 9);
  FrameReader reader;
  reader.Feed(bytes);
  EXPECT_EQ(NextStatus(reader).message(), "frame length 9 below minimum 20");
  EXPECT_EQ(reader.last_error(), FrameError::kBadLength);
}

TEST(FrameReader, ChecksumMismatch) {
  Bytes frame = testing::EncodeOne(Ack{3}, 7);
  frame[kFrameHeaderBytes] ^= 0x10;
  FrameReader reader;
  reader.Feed(frame);
  Status s = NextStatus(reader);
  EXPECT_EQ(s.code(), Code::kProtocol);
  EXPECT_EQ(s.message(), "checksum mismatch on frame seq 7");
  EXPECT_EQ(reader.last_error(), FrameError::kBadChecksum);
}

TEST(FrameReader, UnknownType) {
  for (uint8_t type : {uint8_t{0}, uint8_t{kMaxMsgType + 1}, uint8_t{99}, uint8_t{255}}) {
    FrameReader reader;
    reader.Feed(RawFrame(type, 1));
    EXPECT_EQ(NextStatus(reader).message(), "unknown message type " + std::to_string(type));
    EXPECT_EQ(reader.last_error(), FrameError::kBadType);
  }
}

TEST(FrameReader, NonZeroFlagsRejected) {
  FrameReader reader;
  reader.Feed(RawFrame(static_cast<uint8_t>(MsgType::kAck), 1, Bytes(8, 0), 0x01));
  Status s = NextStatus(reader);
  EXPECT_EQ(s.code(), Code::kProtocol);
  EXPECT_EQ(s.message(), "frame seq 1 has flags 0x01 reserved 0x0000, both must be 0");
  EXPECT_EQ(reader.last_error(), FrameError::kBadHeader);
}

TEST(FrameReader, NonZeroReservedRejected) {
  FrameReader reader;
  reader.Feed(RawFrame(static_cast<uint8_t>(MsgType::kAck), 1, Bytes(8, 0), 0, 0x0100));
  EXPECT_EQ(NextStatus(reader).code(), Code::kProtocol);
  EXPECT_EQ(reader.last_error(), FrameError::kBadHeader);
}

TEST(FrameReader, OutOfOrderSeqRejected) {
  std::vector<Bytes> frames = SampleFrames();
  FrameReader reader;
  reader.Feed(Concat({frames[0], frames[1], frames[2]}));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(reader.Next().ok());
  reader.Feed(testing::EncodeOne(Ack{1}, 5));
  EXPECT_EQ(NextStatus(reader).message(), "frame seq 5, expected 4");
  EXPECT_EQ(reader.last_error(), FrameError::kBadSeq);
}

TEST(FrameReader, FirstFrameMustBeSeqOne) {
  for (uint64_t seq : {uint64_t{0}, uint64_t{2}}) {
    FrameReader reader;
    reader.Feed(testing::EncodeOne(Ack{1}, seq));
    EXPECT_EQ(reader.Next().status().message(),
              "frame seq " + std::to_string(seq) + ", expected 1");
  }
}

TEST(FrameReader, ReplayedFrameRejected) {
  Bytes frame = testing::EncodeOne(Ack{1}, 1);
  FrameReader reader;
  reader.Feed(Concat({frame, frame}));
  EXPECT_TRUE(reader.Next().ok());
  EXPECT_EQ(NextStatus(reader).message(), "frame seq 1, expected 2");
}

TEST(FrameReader, ReaderStaysFailedAfterError) {
  std::vector<Bytes> frames = SampleFrames();
  Bytes bad = frames[0];
  bad.back() ^= 1;
  FrameReader reader;
  reader.Feed(Concat({bad, frames[1]}));
  Status first = NextStatus(reader);
  ASSERT_EQ(first.code(), Code::kProtocol);
  EXPECT_EQ(reader.buffered(), 0u);  // nothing more is held for a dead connection
  for (int i = 0; i < 3; ++i) {
    reader.Feed(frames[0]);  // even a perfectly good frame
    EXPECT_EQ(reader.buffered(), 0u);
    Status again = NextStatus(reader);
    EXPECT_EQ(again.code(), Code::kProtocol);
    EXPECT_EQ(again.message(), first.message());
    EXPECT_EQ(reader.last_error(), FrameError::kBadChecksum);
  }
}

TEST(FrameReader, ByteAtATimeFeedingYieldsSameFrames) {
  std::vector<Bytes> parts;
  for (int round = 0; round < 3; ++round) {
    for (Bytes& f : SampleFrames(1 + parts.size())) parts.push_back(std::move(f));
  }
  Bytes stream = Concat(parts);
  Seen whole = ReadAll(stream, stream.size());
  ASSERT_EQ(whole.size(), parts.size());
  EXPECT_EQ(ReadAll(stream, 1), whole);
  for (size_t chunk : {2, 3, 7, 16, 23, 64, 1000}) EXPECT_EQ(ReadAll(stream, chunk), whole);
}

TEST(FrameReader, BufferedStaysBelowMaxFrameWhenDrained) {
  constexpr uint32_t kMax = 4096;
  std::vector<Bytes> parts;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    parts.push_back(RawFrame(static_cast<uint8_t>(MsgType::kRecords), seq,
                             Bytes(seq * 17 % (kMax - kFrameOverheadBytes), 1)));
  }
  Bytes stream = Concat(parts);
  FrameReader reader(kMax);
  size_t frames = 0;
  for (size_t at = 0; at < stream.size(); at += 1500) {
    size_t n = std::min<size_t>(1500, stream.size() - at);
    reader.Feed(std::span<const uint8_t>(stream.data() + at, n));
    Result<FrameView> f = reader.Next();
    for (; f.ok(); f = reader.Next()) ++frames;
    ASSERT_EQ(f.status().code(), Code::kNotFound);
    EXPECT_LT(reader.buffered(), kMax);
  }
  EXPECT_EQ(frames, parts.size());
}

TEST(FrameReader, PayloadViewPointsIntoFedBytes) {
  Bytes frame = testing::EncodeOne(Ack{0x1122334455667788}, 1);
  FrameReader reader;
  reader.Feed(frame);
  Result<FrameView> f = reader.Next();
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->payload.size(), 8u);
  EXPECT_EQ(LoadLE<uint64_t>(f->payload.data()), 0x1122334455667788u);
}

TEST(FrameWriterDeathTest, MisuseAborts) {
  Bytes out;
  FrameWriter w(&out);
  EXPECT_DEATH(w.Finish(), "Finish without Begin");
  w.Begin(MsgType::kAck, 1);
  EXPECT_DEATH(w.Begin(MsgType::kAck, 2), "already open");
}

}  // namespace
}  // namespace hasync::wire
