// The lines `hasyncctl watch` prints for each change a consumer applies.
//
// Text: "op=7 put KEY VALUE" or "op=7 del KEY", one line per change. Keys and values are
// arbitrary bytes: a backslash prints as "\\" and any byte outside printable ASCII as "\xNN",
// and so does a space in a key, so the key is always one word and the value runs to the end of
// the line; every line is one line. JSON: one object per change,
// {"op":7,"replay":false,"kind":"put","key":"...","value":"..."} (no value for "del"), keys and
// values as the control protocol sends bytes (daemon/encoding.h: a JSON string when they are
// UTF-8, else "key_base64"/"value_base64").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "hasync/consumer.h"

namespace hasync::cli {

std::string EscapeBytes(std::string_view bytes, bool escape_space);
std::string FormatChangeText(uint64_t op, const ConsumerChange& change);
std::string FormatChangeJson(uint64_t op, bool replay, const ConsumerChange& change);

}  // namespace hasync::cli
