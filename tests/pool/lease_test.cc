// The lease record's value (src/pool/lease.h): its encoding is a contract between the two nodes,
// so every field must survive a round trip and every malformed value must be refused, with a
// message, rather than read as something else.
#include "pool/lease.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace hasync::pool {
namespace {

using ::testing::HasSubstr;

std::string Encoded(LeaseState state, uint64_t granted, uint64_t expires, std::string_view client) {
  std::string out;
  EncodeLease({state, granted, expires, client}, &out);
  return out;
}

void ExpectRefused(std::string_view value, std::string_view says) {
  Result<LeaseRecord> decoded = DecodeLease(value);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(decoded.status().message(), HasSubstr(std::string(says)));
}

TEST(Lease, RoundTripsEveryStateAndExtremeTimes) {
  for (LeaseState state : {LeaseState::kLeased, LeaseState::kReleased, LeaseState::kExpired}) {
    for (uint64_t t : {uint64_t{0}, uint64_t{1'767'225'600'123}, ~uint64_t{0}}) {
      std::string value = Encoded(state, t, t ^ 0x0102030405060708, "client-1");
      EXPECT_EQ(value.size(), kLeaseHeaderBytes + 8);
      Result<LeaseRecord> decoded = DecodeLease(value);
      ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
      EXPECT_EQ(decoded->state, state);
      EXPECT_EQ(decoded->granted_ms, t);
      EXPECT_EQ(decoded->expires_ms, t ^ 0x0102030405060708);
      EXPECT_EQ(decoded->client, "client-1");
    }
  }
}

TEST(Lease, EncodingIsLittleEndianAsDocumented) {
  std::string value = Encoded(LeaseState::kReleased, 0x0102030405060708, 0x1112131415161718, "c");
  // format, state, granted_ms, expires_ms, then the client
  const std::string want(
      "\x01\x02"
      "\x08\x07\x06\x05\x04\x03\x02\x01"
      "\x18\x17\x16\x15\x14\x13\x12\x11"
      "c");
  EXPECT_EQ(value, want);
}

TEST(Lease, LongestClientRoundTrips) {
  const std::string client(kMaxClientBytes, 'x');
  const std::string value = Encoded(LeaseState::kLeased, 1, 2, client);
  Result<LeaseRecord> decoded = DecodeLease(value);  // views `value`
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->client, client);
}

TEST(Lease, ShortValuesAreRefused) {
  ExpectRefused("", "lease of 0 bytes");
  std::string value = Encoded(LeaseState::kLeased, 1, 2, "c");
  ExpectRefused(std::string_view(value).substr(0, kLeaseHeaderBytes), "lease of 18 bytes");
  ExpectRefused(std::string_view(value).substr(0, 1), "at least 19");
}

TEST(Lease, UnknownFormatIsRefused) {
  std::string value = Encoded(LeaseState::kLeased, 1, 2, "c");
  for (char format : {'\x00', '\x02', '\xff'}) {
    value[0] = format;
    ExpectRefused(value, "lease format");
  }
}

TEST(Lease, UnknownStateIsRefused) {
  std::string value = Encoded(LeaseState::kLeased, 1, 2, "c");
  for (char state : {'\x00', '\x04', '\xff'}) {
    value[1] = state;
    ExpectRefused(value, "lease state");
  }
}

TEST(Lease, OverLongClientIsRefused) {
  std::string value = Encoded(LeaseState::kLeased, 1, 2, std::string(kMaxClientBytes + 1, 'x'));
  ExpectRefused(value, "client id of 256 bytes");
}

TEST(ClientId, EmptyIsRefused) {
  Status s = CheckClientId("");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("empty"));
}

TEST(ClientId, LengthLimitIs255Bytes) {
  EXPECT_TRUE(CheckClientId(std::string(255, 'a')).ok());
  Status s = CheckClientId(std::string(256, 'a'));
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("256 bytes"));
}

TEST(ClientId, OnlyPrintableAsciiIsAccepted) {
  EXPECT_TRUE(CheckClientId(" ~01:23:45:67:89:ab").ok());
  for (std::string_view bad :
       {std::string_view("a\0b", 3), std::string_view("tab\there"), std::string_view("nl\n"),
        std::string_view("del\x7f"), std::string_view("high\x80"), std::string_view("\xff")}) {
    Status s = CheckClientId(bad);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("printable ASCII"));
  }
}

}  // namespace
}  // namespace hasync::pool
