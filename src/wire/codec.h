// Codec: the little-endian primitives every wire encoder and decoder is built from.
//
// Writers append to a std::vector<uint8_t>. PayloadReader walks a payload with bounds-checked
// reads: the first read that would run past the end records an error naming the message and the
// field, and every later read returns 0, so a decoder reads all its fields and checks once. It
// never reads outside the span it was given. Internal to src/wire (and its tests and fuzzers).
#pragma once

#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "fmt/format.h"
#include "hasync/status.h"

namespace hasync::wire {

// A broken promise by the calling code (not by the peer): stop loudly rather than put a frame on
// the wire that the peer would reject or misread.
[[noreturn]] inline void Die(const char* what) {
  std::fprintf(stderr, "hasync wire: %s\n", what);
  std::abort();
}
inline void CheckOrDie(bool ok, const char* what) {
  if (!ok) Die(what);
}

// Only big-endian hosts pay for this; on little-endian ones the loads below are plain memcpy.
template <typename T>
constexpr T ByteSwap(T v) {
  T r = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    r = static_cast<T>((r << 8) | (v & 0xff));
    v = static_cast<T>(v >> 8);
  }
  return r;
}

template <typename T>
inline T LoadLE(const uint8_t* p) {
  static_assert(std::is_unsigned_v<T>);
  T v;
  std::memcpy(&v, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  return v;
}

template <typename T>
inline void StoreLE(uint8_t* p, T v) {
  static_assert(std::is_unsigned_v<T>);
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  std::memcpy(p, &v, sizeof(T));
}

template <typename T>
inline void PutLE(std::vector<uint8_t>& out, T v) {
  size_t at = out.size();
  out.resize(at + sizeof(T));
  StoreLE<T>(out.data() + at, v);
}

inline void PutBytes(std::vector<uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

// u16 length, then the bytes. Longer strings are a caller bug: the decoders bound every string
// far below 65535 bytes.
inline void PutString16(std::vector<uint8_t>& out, std::string_view s) {
  CheckOrDie(s.size() <= UINT16_MAX, "string longer than 65535 bytes");
  PutLE<uint16_t>(out, static_cast<uint16_t>(s.size()));
  PutBytes(out, s);
}

class PayloadReader {
 public:
  // `what` names the message in error texts and must outlive the reader (a literal).
  PayloadReader(std::span<const uint8_t> p, const char* what) : p_(p), what_(what) {}

  uint8_t U8(const char* field) { return Fixed<uint8_t>(field); }
  uint16_t U16(const char* field) { return Fixed<uint16_t>(field); }
  uint32_t U32(const char* field) { return Fixed<uint32_t>(field); }
  uint64_t U64(const char* field) { return Fixed<uint64_t>(field); }

  // A u8 that must be 0 or 1.
  bool Bool(const char* field) {
    uint8_t v = U8(field);
    if (v > 1) Invalid(fmt::format("{} is {}, must be 0 or 1", field, v));
    return v == 1;
  }

  // `n` bytes as a view into the payload.
  std::string_view Bytes(size_t n, const char* field) {
    if (!Need(n, field)) return {};
    std::string_view s(reinterpret_cast<const char*>(p_.data() + pos_), n);
    pos_ += n;
    return s;
  }

  // A u16 length and that many bytes, which must number min..max.
  std::string_view String16(const char* field, size_t min, size_t max) {
    uint16_t n = U16(field);
    if (ok() && (n < min || n > max)) {
      Invalid(fmt::format("{} length {} outside {}..{}", field, n, min, max));
    }
    return Bytes(n, field);
  }

  // Records a validation failure (the first one wins).
  void Invalid(std::string why) {
    if (ok()) error_ = ProtocolError(fmt::format("{}: {}", what_, why));
  }

  // The payload must be used up exactly: trailing bytes mean the peer and this node disagree
  // about the layout, which no later field could make safe.
  Status Finish() {
    if (ok() && pos_ != p_.size()) {
      Invalid(fmt::format("{} trailing bytes after the last field", p_.size() - pos_));
    }
    return error_;
  }

  bool ok() const { return error_.ok(); }
  const Status& status() const { return error_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return p_.size() - pos_; }

 private:
  bool Need(size_t n, const char* field) {
    if (!ok()) return false;
    if (n > remaining()) {
      Invalid(fmt::format("payload ends inside {} ({} bytes needed at offset {}, {} left)", field,
                          n, pos_, remaining()));
      return false;
    }
    return true;
  }

  template <typename T>
  T Fixed(const char* field) {
    if (!Need(sizeof(T), field)) return 0;
    T v = LoadLE<T>(p_.data() + pos_);
    pos_ += sizeof(T);
    return v;
  }

  std::span<const uint8_t> p_;
  const char* what_;
  size_t pos_ = 0;
  Status error_;
};

}  // namespace hasync::wire
