// MessageCodec: what the message encoders and decoders (messages.cc, consumer_messages.cc) share
// besides the primitives of codec.h: the integer writers on a frame, and the range checks a
// decoder makes after reading its fields. Each check does nothing once the reader holds an error,
// so the first error is the one reported. Internal to src/wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

#include "fmt/format.h"
#include "hasync/status.h"
#include "wire/codec.h"
#include "wire/frame.h"

namespace hasync::wire {

inline void PutU8(FrameWriter& w, uint8_t v) { PutLE<uint8_t>(w.out(), v); }
inline void PutU16(FrameWriter& w, uint16_t v) { PutLE<uint16_t>(w.out(), v); }
inline void PutU32(FrameWriter& w, uint32_t v) { PutLE<uint32_t>(w.out(), v); }
inline void PutU64(FrameWriter& w, uint64_t v) { PutLE<uint64_t>(w.out(), v); }

// A count that does not fit its field cannot be put on the wire at all: a caller bug.
template <typename Count>
Count CountOrDie(size_t n, const char* what) {
  CheckOrDie(n <= std::numeric_limits<Count>::max(), what);
  return static_cast<Count>(n);
}

inline void CheckMax(PayloadReader& r, const char* field, uint8_t value, uint8_t max) {
  if (r.ok() && value > max) {
    r.Invalid(fmt::format("{} is {}, must be at most {}", field, value, max));
  }
}

inline void CheckFlags(PayloadReader& r, uint8_t flags, uint8_t defined) {
  if (r.ok() && (flags & ~defined) != 0) {
    r.Invalid(fmt::format("flags 0x{:02x} set reserved bits", flags));
  }
}

inline void CheckNonZero(PayloadReader& r, const char* field, uint64_t value) {
  if (r.ok() && value == 0) r.Invalid(fmt::format("{} is 0, must be non-zero", field));
}

// `count` entries of at least `min_bytes` each must fit in the bytes left. Checked before
// anything is reserved for them, so a hostile count costs the sender as much as the receiver.
inline bool CountFits(PayloadReader& r, const char* field, uint64_t count, size_t min_bytes) {
  if (r.ok() && count * min_bytes > r.remaining()) {
    r.Invalid(fmt::format("{} {} needs at least {} bytes, {} left", field, count, count * min_bytes,
                          r.remaining()));
  }
  return r.ok();
}

// Every byte of `s` printable ASCII from `lowest` to '~'.
inline void CheckPrintable(PayloadReader& r, const char* field, std::string_view s,
                           uint8_t lowest) {
  for (size_t i = 0; r.ok() && i < s.size(); ++i) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < lowest || c > '~') {
      r.Invalid(fmt::format("{} byte {} is 0x{:02x}, must be printable ASCII{}", field, i, c,
                            lowest > ' ' ? ", no space" : ""));
    }
  }
}

// The decoded message, once the payload was used up exactly.
template <typename Message>
Result<Message> Done(PayloadReader& r, Message m) {
  Status s = r.Finish();
  if (!s.ok()) return s;
  return m;
}

}  // namespace hasync::wire
