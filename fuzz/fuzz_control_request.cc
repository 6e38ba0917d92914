// fuzz_control_request: one control-socket line (hasyncctl's requests) through the daemon's
// parser. Any line must give a request or an error value, and the error reply, which echoes
// the line's "id" whatever it holds, must serialize: the daemon sends it to the client.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "daemon/control_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  hasync::daemon::ParsedRequest parsed = hasync::daemon::ParseRequest(line);
  if (!parsed.error.ok()) {
    (void)hasync::daemon::Serialize(hasync::daemon::ErrorResponse(parsed.id, parsed.error));
  }
  return 0;
}
