#include "wire/frame.h"

#include <xxhash.h>

#include "fmt/format.h"
#include "wire/codec.h"

namespace hasync::wire {
namespace {

// Offsets within a frame (see the layout in frame.h).
constexpr size_t kTypeAt = 4;
constexpr size_t kFlagsAt = 5;
constexpr size_t kReservedAt = 6;
constexpr size_t kSeqAt = 8;
// The smallest value of the length field: the rest of the header plus the checksum.
constexpr uint32_t kMinLength = kFrameOverheadBytes - sizeof(uint32_t);
static_assert(kMinLength == 20);

}  // namespace

FrameReader::FrameReader(uint32_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {
  CheckOrDie(max_frame_bytes >= kFrameOverheadBytes, "max frame size below the frame overhead");
}

void FrameReader::Feed(std::span<const uint8_t> bytes) {
  if (!error_.ok()) return;  // the connection is going away; holding its bytes helps no one
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 0 && pos_ >= buf_.size() - pos_) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

Result<FrameView> FrameReader::Fail(FrameError error, std::string message) {
  last_error_ = error;
  error_ = ProtocolError(std::move(message));
  std::vector<uint8_t>().swap(buf_);
  pos_ = 0;
  return error_;
}

Result<FrameView> FrameReader::Next() {
  if (!error_.ok()) return error_;
  size_t avail = buf_.size() - pos_;
  if (avail < sizeof(uint32_t)) return NotFound("need more bytes");
  const uint8_t* f = buf_.data() + pos_;

  uint32_t length = LoadLE<uint32_t>(f);
  uint64_t frame_bytes = uint64_t{length} + sizeof(uint32_t);
  if (length < kMinLength) {
    return Fail(FrameError::kBadLength,
                fmt::format("frame length {} below minimum {}", length, kMinLength));
  }
  if (frame_bytes > max_frame_bytes_) {
    return Fail(FrameError::kTooLarge,
                fmt::format("frame of {} bytes exceeds limit {}", frame_bytes, max_frame_bytes_));
  }
  if (avail < frame_bytes) return NotFound("need more bytes");

  uint64_t seq = LoadLE<uint64_t>(f + kSeqAt);
  size_t checked = length - kFrameTrailerBytes;  // type .. end of payload
  if (XXH3_64bits(f + kTypeAt, checked) != LoadLE<uint64_t>(f + kTypeAt + checked)) {
    return Fail(FrameError::kBadChecksum, fmt::format("checksum mismatch on frame seq {}", seq));
  }
  uint8_t flags = f[kFlagsAt];
  uint16_t reserved = LoadLE<uint16_t>(f + kReservedAt);
  if (flags != 0 || reserved != 0) {
    return Fail(FrameError::kBadHeader,
                fmt::format("frame seq {} has flags 0x{:02x} reserved 0x{:04x}, both must be 0",
                            seq, flags, reserved));
  }
  uint8_t type = f[kTypeAt];
  if (type == 0 || type > kMaxMsgType) {
    return Fail(FrameError::kBadType, fmt::format("unknown message type {}", type));
  }
  if (seq != expected_seq_) {
    return Fail(FrameError::kBadSeq, fmt::format("frame seq {}, expected {}", seq, expected_seq_));
  }

  ++expected_seq_;
  pos_ += frame_bytes;
  return FrameView{
      static_cast<MsgType>(type), seq,
      std::span<const uint8_t>(f + kFrameHeaderBytes, frame_bytes - kFrameOverheadBytes)};
}

void FrameWriter::Begin(MsgType type, uint64_t seq) {
  CheckOrDie(!open_, "FrameWriter::Begin with a frame already open");
  open_ = true;
  start_ = out_->size();
  PutLE<uint32_t>(*out_, 0);  // length, filled in by Finish()
  PutLE<uint8_t>(*out_, static_cast<uint8_t>(type));
  PutLE<uint8_t>(*out_, 0);   // flags
  PutLE<uint16_t>(*out_, 0);  // reserved
  PutLE<uint64_t>(*out_, seq);
}

void FrameWriter::Finish() {
  CheckOrDie(open_, "FrameWriter::Finish without Begin");
  open_ = false;
  size_t length = out_->size() - start_ - sizeof(uint32_t) + kFrameTrailerBytes;
  CheckOrDie(length <= UINT32_MAX, "frame larger than 4 GiB");
  uint8_t* f = out_->data() + start_;
  StoreLE<uint32_t>(f, static_cast<uint32_t>(length));
  uint64_t sum = XXH3_64bits(f + kTypeAt, out_->size() - start_ - kTypeAt);
  PutLE<uint64_t>(*out_, sum);
}

size_t FrameWriter::open_payload_bytes() const {
  return open_ ? out_->size() - start_ - kFrameHeaderBytes : 0;
}

}  // namespace hasync::wire
