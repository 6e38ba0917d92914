// Fuzzes the payload decoders directly, without the frame layer in the way: byte 0 picks the
// message type (byte % 20 + 1: every type, the consumer messages' too), the rest is the
// payload. Accepted payloads must re-encode to the same bytes (see fuzz_decode.h).
#include <cstddef>
#include <cstdint>

#include "fuzz_decode.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  auto type = static_cast<hasync::wire::MsgType>(data[0] % hasync::wire::kMaxMsgType + 1);
  hasync::wire::fuzz::DecodeAny(type, hasync::wire::Payload(data + 1, size - 1));
  return 0;
}
