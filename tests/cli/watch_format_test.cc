#include "cli/watch_format.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hasync::cli {
namespace {

using namespace std::string_view_literals;

TEST(WatchFormat, PutAndDeleteLines) {
  EXPECT_EQ(FormatChangeText(7, {.key = "10.0.0.1:80", .value = "a b", .deleted = false}),
            "op=7 put 10.0.0.1:80 a b");
  EXPECT_EQ(FormatChangeText(8, {.key = "10.0.0.1:80", .value = {}, .deleted = true}),
            "op=8 del 10.0.0.1:80");
}

TEST(WatchFormat, NonPrintableBytesAreEscapedAndTheKeyStaysOneWord) {
  EXPECT_EQ(FormatChangeText(1, {.key = "a b\\c", .value = "x\ny\0\xff z"sv, .deleted = false}),
            "op=1 put a\\x20b\\\\c x\\x0ay\\x00\\xff z");
  EXPECT_EQ(EscapeBytes("\t~\x7f", false), "\\x09~\\x7f");
}

TEST(WatchFormat, JsonLinesCarryTheOpAndBytesSafely) {
  auto put = nlohmann::json::parse(
      FormatChangeJson(3, true, {.key = "k", .value = "v", .deleted = false}));
  EXPECT_EQ(put, (nlohmann::json{
                     {"op", 3}, {"replay", true}, {"kind", "put"}, {"key", "k"}, {"value", "v"}}));
  auto del = nlohmann::json::parse(
      FormatChangeJson(4, false, {.key = "\xff\xfe"sv, .value = {}, .deleted = true}));
  EXPECT_EQ(
      del, (nlohmann::json{{"op", 4}, {"replay", false}, {"kind", "del"}, {"key_base64", "//4="}}));
}

}  // namespace
}  // namespace hasync::cli
