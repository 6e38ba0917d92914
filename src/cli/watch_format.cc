#include "cli/watch_format.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "daemon/encoding.h"

namespace hasync::cli {

std::string EscapeBytes(std::string_view bytes, bool escape_space) {
  std::string out;
  out.reserve(bytes.size());
  for (char ch : bytes) {
    auto byte = static_cast<unsigned char>(ch);
    if (byte == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte > 0x7e || (escape_space && byte == ' ')) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += ch;
    }
  }
  return out;
}

std::string FormatChangeText(uint64_t op, const ConsumerChange& change) {
  if (change.deleted) return fmt::format("op={} del {}", op, EscapeBytes(change.key, true));
  return fmt::format("op={} put {} {}", op, EscapeBytes(change.key, true),
                     EscapeBytes(change.value, false));
}

std::string FormatChangeJson(uint64_t op, bool replay, const ConsumerChange& change) {
  nlohmann::json line = {{"op", op}, {"replay", replay}, {"kind", change.deleted ? "del" : "put"}};
  daemon::SetBytes(line, "key", change.key);
  if (!change.deleted) daemon::SetBytes(line, "value", change.value);
  return line.dump();
}

}  // namespace hasync::cli
