// Byte strings in JSON, for both ends of the control protocol (hasyncd and hasyncctl; header-only
// because they are separate libraries). Keys and values are arbitrary bytes, JSON strings are
// Unicode: a field holding valid UTF-8 is sent as a JSON string under its own name ("value"),
// anything else as standard base64 (RFC 4648, with padding) under the name plus "_base64"
// ("value_base64"). Readers accept either form; both round-trip every byte string exactly.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "hasync/status.h"

namespace hasync::daemon {

namespace encoding_internal {

inline constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

inline int Sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace encoding_internal

inline bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
    uint8_t c = byte(i);
    size_t extra = 0;
    uint32_t min = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, min = 0x80, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, min = 0x800, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, min = 0x10000, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + extra >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= extra; ++k) {
      if ((byte(i + k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (byte(i + k) & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += extra + 1;
  }
  return true;
}

inline std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t v = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += encoding_internal::kAlphabet[v >> 18];
    out += encoding_internal::kAlphabet[(v >> 12) & 63];
    out += encoding_internal::kAlphabet[(v >> 6) & 63];
    out += encoding_internal::kAlphabet[v & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint8_t>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(bytes[i + 1]) << 8;
    out += encoding_internal::kAlphabet[v >> 18];
    out += encoding_internal::kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? encoding_internal::kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

inline Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("base64 length is not a multiple of 4");
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    size_t pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    uint32_t v = 0;
    for (size_t k = 0; k < 4; ++k) {
      int sextet = k >= 4 - pad ? 0 : encoding_internal::Sextet(text[i + k]);
      if (sextet < 0) return InvalidArgument("invalid base64 character");
      v = (v << 6) | static_cast<uint32_t>(sextet);
    }
    out += static_cast<char>(v >> 16);
    if (pad < 2) out += static_cast<char>((v >> 8) & 0xFF);
    if (pad < 1) out += static_cast<char>(v & 0xFF);
  }
  return out;
}

inline void SetBytes(nlohmann::json& object, const std::string& field, std::string_view bytes) {
  if (IsValidUtf8(bytes)) {
    object[field] = bytes;
  } else {
    object[field + "_base64"] = Base64Encode(bytes);
  }
}

inline Result<std::string> GetBytes(const nlohmann::json& object, const std::string& field) {
  auto plain = object.find(field);
  if (plain != object.end()) {
    if (!plain->is_string()) return InvalidArgument("\"" + field + "\" must be a string");
    return plain->get<std::string>();
  }
  auto encoded = object.find(field + "_base64");
  if (encoded == object.end()) return NotFound("missing \"" + field + "\"");
  if (!encoded->is_string()) return InvalidArgument("\"" + field + "_base64\" must be a string");
  Result<std::string> decoded = Base64Decode(encoded->get_ref<const std::string&>());
  if (!decoded.ok())
    return InvalidArgument("\"" + field + "_base64\": " + decoded.status().message());
  return decoded;
}

}  // namespace hasync::daemon
