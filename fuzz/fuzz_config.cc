// fuzz_config: arbitrary bytes as hasyncd's TOML configuration. Parsing must end in a config or
// an error value (with a position) and never crash, hang or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)hasync::daemon::ParseConfig(text, "fuzz.toml");
  return 0;
}
