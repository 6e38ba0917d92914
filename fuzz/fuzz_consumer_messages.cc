// Fuzzes the decoders of the replay-stream and consumer messages (wire/consumer_messages.h, types
// 12..20) directly, without the frame layer in the way. Byte 0 picks the type (byte % 9 + 12)
// and, with its top bit, the limits: clear, the small ones of fuzz_decode.h, so inputs of a few
// KiB reach every size check; set, the hard caps a consumer decodes with (store/limits.h). The
// rest is the payload. Accepted payloads must re-encode to the same bytes, which decode again
// (see fuzz_decode.h).
#include <cstddef>
#include <cstdint>

#include "fuzz_decode.h"
#include "store/limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace hasync;  // NOLINT: a small harness
  if (size < 1) return 0;
  auto type = static_cast<wire::MsgType>((data[0] & 0x7f) % 9 +
                                         static_cast<uint8_t>(wire::MsgType::kChannelState));
  wire::ConsumerLimits limits = wire::fuzz::FuzzConsumerLimits();
  if ((data[0] & 0x80) != 0) {
    limits = wire::ConsumerLimits{.max_table_name_bytes = store::kTableNameBytesHardCap,
                                  .max_key_bytes = store::kKeyBytesHardCap,
                                  .max_value_bytes = store::kValueBytesHardCap};
  }
  wire::fuzz::DecodeConsumerMessage(type, wire::Payload(data + 1, size - 1), limits);
  return 0;
}
