// Frame: the unit of the hasync sync channel, and the reader that cuts a byte stream into frames.
//
// Layout (all integers little-endian; docs/protocol.md is the normative description):
//   0   u32  length    bytes that follow this field: 20 + payload size
//   4   u8   type      MsgType
//   5   u8   flags     0 (protocol v3 defines none); a receiver rejects other values
//   6   u16  reserved  0
//   8   u64  seq       sender's frame number on this connection: 1, 2, 3, ...
//   16  ...  payload   depends on type
//   end u64  checksum  XXH3-64 (seed 0) of every byte from `type` to the end of the payload
//
// FrameReader never trusts the peer: a length under the minimum or over the configured maximum,
// a bad checksum, non-zero flags or reserved bits, an unknown type, or a sequence number other
// than the next expected one is an error value; after an error the reader stays failed.
// Checks run in that order. The length is checked as soon as its 4 bytes arrive, before waiting
// for the body, so a hostile length cannot make the reader buffer more than the maximum. The
// checksum is checked before the other header fields: when it fails, those fields are noise, and
// "checksum mismatch" is the honest diagnosis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hasync/status.h"

namespace hasync::wire {

inline constexpr uint16_t kProtocolVersion = 3;
inline constexpr size_t kFrameHeaderBytes = 16;  // length .. seq
inline constexpr size_t kFrameTrailerBytes = 8;  // checksum
inline constexpr size_t kFrameOverheadBytes = kFrameHeaderBytes + kFrameTrailerBytes;
inline constexpr uint32_t kDefaultMaxFrameBytes = 4 * 1024 * 1024;  // whole frame, header included

enum class MsgType : uint8_t {
  kHello = 1,
  kHeartbeat = 2,
  kRecords = 3,
  kBulkBegin = 4,
  kRecordEof = 5,
  kAck = 6,
  kSwitchoverRequest = 7,
  kSwitchoverResponse = 8,
  kSyncRequest = 9,
  kSyncResponse = 10,
  kGoodbye = 11,
  // The replay stream (active to standby, protocol v3; wire/consumer_messages.h).
  kChannelState = 12,
  kConsumerOps = 13,
  kConsumerAcks = 14,
  kChannelDrop = 15,
  // The consumer protocol (consumer port).
  kConsumerHello = 16,
  kConsumerWelcome = 17,
  kConsumerUpdate = 18,
  kConsumerAck = 19,
  kConsumerPing = 20,
};
inline constexpr uint8_t kMaxMsgType = 20;

// A decoded frame; `payload` points into the reader's buffer and is valid until the next call to
// Next() or Feed().
struct FrameView {
  MsgType type;
  uint64_t seq;
  std::span<const uint8_t> payload;
};

// Error classes a FrameReader reports, counted separately for operators (pfsync style).
enum class FrameError : uint8_t {
  kNone,
  kBadLength,
  kTooLarge,
  kBadChecksum,
  kBadHeader,
  kBadType,
  kBadSeq
};

class FrameReader {
 public:
  explicit FrameReader(uint32_t max_frame_bytes = kDefaultMaxFrameBytes);

  // Appends received bytes (one copy into the reader's buffer; frames are then parsed in place,
  // never copied again). The consumed prefix is dropped here, only once it is at least as large
  // as what remains, so compaction costs O(1) per byte. A failed reader discards what it is fed.
  void Feed(std::span<const uint8_t> bytes);

  // The next complete frame; nullopt-like `Result` with kNotFound status when more bytes are
  // needed; a kProtocol status (message says what is wrong) when the stream is malformed. Once
  // failed, every call returns that same error.
  Result<FrameView> Next();

  FrameError last_error() const { return last_error_; }
  // Bytes received but not yet returned as frames. Once Next() has returned kNotFound this is
  // under max_frame_bytes (a partial frame whose length passed the check); a caller that feeds
  // many frames without calling Next() in between holds them all, as it asked to.
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  Result<FrameView> Fail(FrameError error, std::string message);

  uint32_t max_frame_bytes_;
  uint64_t expected_seq_ = 1;
  std::vector<uint8_t> buf_;
  size_t pos_ = 0;  // start of the first byte not yet returned in a frame
  Status error_;    // the first error; sticky
  FrameError last_error_ = FrameError::kNone;
};

// Appends frames to an output buffer. Begin() reserves the header, the caller appends the payload
// with the helpers in codec.h, Finish() fills length and checksum. One frame open at a time:
// Begin() while open, or Finish() while closed, is a caller bug and aborts. `out` must outlive
// the writer; bytes already in it are left alone.
class FrameWriter {
 public:
  explicit FrameWriter(std::vector<uint8_t>* out) : out_(out) {}
  void Begin(MsgType type, uint64_t seq);
  void Finish();
  size_t open_payload_bytes() const;  // payload bytes appended since Begin(); 0 when closed
  std::vector<uint8_t>& out() { return *out_; }

 private:
  std::vector<uint8_t>* out_;
  size_t start_ = 0;
  bool open_ = false;
};

}  // namespace hasync::wire
