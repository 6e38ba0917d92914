#include "pool/address_space.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace hasync::pool {
namespace {

using testing::HasSubstr;
using Strings = std::vector<std::string>;

Result<AddressSpace> Make(const Strings& ranges, const Strings& exclude = {}) {
  return AddressSpace::Create(ranges, exclude);
}

// Expects Create to refuse with kInvalidArgument and a message holding every one of `parts`.
void ExpectError(const Strings& ranges, const Strings& exclude, const Strings& parts) {
  Result<AddressSpace> space = Make(ranges, exclude);
  ASSERT_FALSE(space.ok());
  EXPECT_EQ(space.status().code(), Code::kInvalidArgument);
  for (const std::string& part : parts) EXPECT_THAT(space.status().message(), HasSubstr(part));
}

// Every ordinal maps to an address that maps back to it.
void ExpectRoundTrip(const AddressSpace& space) {
  for (uint64_t ordinal = 0; ordinal < space.size(); ++ordinal) {
    ASSERT_EQ(space.OrdinalOf(space.AddressAt(ordinal)), ordinal) << space.TextAt(ordinal);
  }
}

TEST(AddressSpaceParse, IPv4AndIPv6) {
  Result<Address> v4 = ParseAddress("10.1.2.3");
  ASSERT_TRUE(v4.ok());
  EXPECT_TRUE((*v4 == Address{Family::kV4, 0x0a010203}));
  Result<Address> v6 = ParseAddress("2001:db8::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family, Family::kV6);
  EXPECT_TRUE(v6->value == ((Uint128{0x20010db8} << 96) | 1));
}

TEST(AddressSpaceParse, IPv4MappedStaysIPv6) {
  Result<Address> mapped = ParseAddress("::ffff:10.0.0.1");
  ASSERT_TRUE(mapped.ok());
  EXPECT_EQ(mapped->family, Family::kV6);
  EXPECT_EQ(FormatAddress(*mapped), "::ffff:10.0.0.1");
}

TEST(AddressSpaceParse, GarbageIsAnErrorNamingTheText) {
  for (const std::string& text :
       Strings{"", "10.0.0", "10.0.0.256", "2001:db8:::1", "host", " 10.0.0.1",
               std::string("10.0.0.1\0x", 10), std::string(200, '1')}) {
    Result<Address> address = ParseAddress(text);
    ASSERT_FALSE(address.ok()) << text;
    EXPECT_EQ(address.status().code(), Code::kInvalidArgument);
    EXPECT_THAT(address.status().message(), HasSubstr(text.substr(0, 8).c_str()));
  }
}

TEST(AddressSpaceFormat, CanonicalText) {
  EXPECT_EQ(FormatAddress(*ParseAddress("2001:0DB8:0000:0000::0001")), "2001:db8::1");
  EXPECT_EQ(FormatAddress(*ParseAddress("2001:db8:0:0:1:0:0:1")), "2001:db8::1:0:0:1");
  EXPECT_EQ(FormatAddress(*ParseAddress("::")), "::");
  EXPECT_EQ(FormatAddress(Address{Family::kV4, 0xc0a80001}), "192.168.0.1");
  for (const char* text : {"0.0.0.0", "255.255.255.255", "::1", "fe80::1:2", "2001:db8::ff:ffff",
                           "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4"}) {
    Address address = *ParseAddress(text);
    EXPECT_EQ(FormatAddress(address), text);
    EXPECT_TRUE(*ParseAddress(FormatAddress(address)) == address) << text;
  }
}

TEST(AddressSpace, IPv4PrefixHoldsEveryAddress) {
  Result<AddressSpace> space = Make({"10.0.0.0/24"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->family(), Family::kV4);
  EXPECT_EQ(space->size(), 256u);
  EXPECT_EQ(space->OrdinalOf("10.0.0.0"), 0u);
  EXPECT_EQ(space->OrdinalOf("10.0.0.255"), 255u);
  EXPECT_EQ(space->OrdinalOf("10.0.1.0"), std::nullopt);
  EXPECT_EQ(space->OrdinalOf("9.255.255.255"), std::nullopt);
  EXPECT_EQ(space->TextAt(5), "10.0.0.5");
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, IPv4RangeWithSpacesAroundDash) {
  Result<AddressSpace> space = Make({"  10.0.1.10 - 10.0.1.50 "});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 41u);
  EXPECT_EQ(space->TextAt(0), "10.0.1.10");
  EXPECT_EQ(space->TextAt(40), "10.0.1.50");
  EXPECT_EQ(space->Canonical(), "10.0.1.10-10.0.1.50");
}

TEST(AddressSpace, SingleAddress) {
  Result<AddressSpace> space = Make({"192.168.1.7"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 1u);
  EXPECT_EQ(space->OrdinalOf("192.168.1.7"), 0u);
  EXPECT_EQ(space->OrdinalOf("192.168.1.8"), std::nullopt);
  EXPECT_EQ(space->Canonical(), "192.168.1.7-192.168.1.7");
}

TEST(AddressSpace, WholeIPv4SpaceFits) {
  Result<AddressSpace> space = Make({"0.0.0.0/0"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), uint64_t{1} << 32);
  EXPECT_EQ(space->OrdinalOf("255.255.255.255"), (uint64_t{1} << 32) - 1);
  EXPECT_EQ(space->TextAt((uint64_t{1} << 32) - 1), "255.255.255.255");
}

TEST(AddressSpace, IPv6PrefixAndRange) {
  Result<AddressSpace> space = Make({"2001:db8::/120", "2001:db8:1::10-2001:db8:1::1f"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->family(), Family::kV6);
  EXPECT_EQ(space->size(), 256u + 16u);
  EXPECT_EQ(space->TextAt(1), "2001:db8::1");
  EXPECT_EQ(space->TextAt(255), "2001:db8::ff");
  EXPECT_EQ(space->TextAt(256), "2001:db8:1::10");
  EXPECT_EQ(space->OrdinalOf("2001:DB8:1:0::1F"), 271u);
  EXPECT_EQ(space->OrdinalOf("10.0.0.1"), std::nullopt);  // other family
  EXPECT_EQ(space->OrdinalOf("not an address"), std::nullopt);
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, OtherFamilyIsNotInThePool) {
  Result<AddressSpace> space = Make({"0.0.0.0/0"});
  ASSERT_TRUE(space.ok());
  EXPECT_EQ(space->OrdinalOf(Address{Family::kV6, 1}), std::nullopt);
  EXPECT_EQ(space->OrdinalOf(Address{Family::kV4, Uint128{1} << 32}), std::nullopt);
}

TEST(AddressSpace, ExcludeInTheMiddleSplitsTheSegment) {
  Result<AddressSpace> space = Make({"10.0.0.0/24"}, {"10.0.0.10"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 255u);
  EXPECT_EQ(space->OrdinalOf("10.0.0.9"), 9u);
  EXPECT_EQ(space->OrdinalOf("10.0.0.10"), std::nullopt);
  EXPECT_EQ(space->OrdinalOf("10.0.0.11"), 10u);
  EXPECT_EQ(space->Canonical(), "10.0.0.0-10.0.0.9,10.0.0.11-10.0.0.255");
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, ExcludeNetworkAndBroadcast) {
  Result<AddressSpace> space = Make({"10.0.0.0/24"}, {"10.0.0.255", "10.0.0.0"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 254u);
  EXPECT_EQ(space->TextAt(0), "10.0.0.1");
  EXPECT_EQ(space->TextAt(253), "10.0.0.254");
  EXPECT_EQ(space->Canonical(), "10.0.0.1-10.0.0.254");
}

TEST(AddressSpace, ExcludeWholeRangeAndAcrossRanges) {
  Result<AddressSpace> space =
      Make({"10.0.0.0/28", "10.0.1.0/28", "10.0.2.0/28"}, {"10.0.1.0/28", "10.0.0.14-10.0.2.1"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 14u + 14u);
  EXPECT_EQ(space->TextAt(13), "10.0.0.13");
  EXPECT_EQ(space->TextAt(14), "10.0.2.2");
  EXPECT_EQ(space->Canonical(), "10.0.0.0-10.0.0.13,10.0.2.2-10.0.2.15");
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, OverlappingAndOutsideExcludesAreFine) {
  Result<AddressSpace> space = Make(
      {"10.0.0.0/24"}, {"10.0.0.5-10.0.0.20", "10.0.0.8/29", "10.0.0.20-10.0.0.30", "192.0.2.1"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 256u - 26u);
  EXPECT_EQ(space->Canonical(), "10.0.0.0-10.0.0.4,10.0.0.31-10.0.0.255");
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, OrdinalsFollowConfigurationOrder) {
  Result<AddressSpace> space = Make({"10.0.1.0/30", "10.0.0.0/30"}, {"10.0.1.1"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 7u);
  const Strings expected = {"10.0.1.0", "10.0.1.2", "10.0.1.3", "10.0.0.0",
                            "10.0.0.1", "10.0.0.2", "10.0.0.3"};
  for (uint64_t i = 0; i < expected.size(); ++i) EXPECT_EQ(space->TextAt(i), expected[i]);
  EXPECT_EQ(space->OrdinalOf("10.0.0.0"), 3u);
  EXPECT_EQ(space->Canonical(), "10.0.1.0-10.0.1.0,10.0.1.2-10.0.1.3,10.0.0.0-10.0.0.3");
  ExpectRoundTrip(*space);
}

TEST(AddressSpace, AddressAtPastTheEndDoesNotCrash) {
  Result<AddressSpace> space = Make({"10.0.0.0/30"});
  ASSERT_TRUE(space.ok());
  EXPECT_TRUE((space->AddressAt(4) == Address{Family::kV4, 0}));
  EXPECT_TRUE((space->AddressAt(UINT64_MAX) == Address{Family::kV4, 0}));
}

TEST(AddressSpace, CanonicalTextIsTheSameForTheSameNumbering) {
  Result<AddressSpace> whole = Make({"10.0.0.0/24"}, {"10.0.0.10"});
  Result<AddressSpace> pieces =
      Make({"10.0.0.0-10.0.0.9", "10.0.0.11 - 10.0.0.127", "10.0.0.128/25"});
  Result<AddressSpace> reordered = Make({"10.0.0.128/25", "10.0.0.0/25"}, {"10.0.0.10"});
  ASSERT_TRUE(whole.ok() && pieces.ok() && reordered.ok());
  EXPECT_EQ(whole->Canonical(), pieces->Canonical());
  EXPECT_NE(whole->Canonical(), reordered->Canonical());  // other ordinals: other shares
}

TEST(AddressSpace, TopOfTheIPv6SpaceDoesNotWrap) {
  const std::string top = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/120";
  Result<AddressSpace> space = Make({top, "::/120"}, {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 255u + 256u);
  EXPECT_EQ(space->TextAt(255), "::");
  EXPECT_EQ(
      space->Canonical(),
      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe,::-::ff");
  Result<AddressSpace> whole_top = Make({top, "::/120"});
  ASSERT_TRUE(whole_top.ok());
  EXPECT_EQ(whole_top->TextAt(255), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  EXPECT_EQ(whole_top->TextAt(256), "::");
  ExpectRoundTrip(*whole_top);
}

TEST(AddressSpace, BigIPv6Range) {
  Result<AddressSpace> space = Make({"2001:db8::/88"}, {"2001:db8::ff:ffff:fff0"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  const uint64_t size = (uint64_t{1} << 40) - 1;
  EXPECT_EQ(space->size(), size);
  EXPECT_EQ(space->TextAt(size - 1), "2001:db8::ff:ffff:ffff");
  EXPECT_EQ(space->TextAt(size - 16), "2001:db8::ff:ffff:ffef");
  EXPECT_EQ(space->TextAt(size - 15), "2001:db8::ff:ffff:fff1");
  EXPECT_EQ(space->OrdinalOf("2001:db8::ff:ffff:ffff"), size - 1);
  EXPECT_EQ(space->OrdinalOf("2001:db8::ff:ffff:fff0"), std::nullopt);
  EXPECT_EQ(space->OrdinalOf("2001:db8::100:0:0"), std::nullopt);
}

TEST(AddressSpace, LargestPoolIsTwoToThe62) {
  Result<AddressSpace> space = Make({"2001:db8::/66"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), kMaxPoolAddresses);
  EXPECT_EQ(space->TextAt(kMaxPoolAddresses - 1), "2001:db8::3fff:ffff:ffff:ffff");
  Result<AddressSpace> halves = Make({"2001:db8::/67", "2001:db8:1::/67"});
  ASSERT_TRUE(halves.ok()) << halves.status().ToString();
  EXPECT_EQ(halves->size(), kMaxPoolAddresses);
}

TEST(AddressSpace, ThousandsOfExcludesFromASlash16) {
  Strings exclude;
  for (int x = 0; x < 256; ++x) {
    const std::string prefix = "10.1." + std::to_string(x) + ".";
    exclude.push_back(prefix + "7");
    for (int y = 200; y <= 210; ++y) exclude.push_back(prefix + std::to_string(y));
    exclude.push_back(prefix + "100-" + prefix + "104");
  }
  std::shuffle(exclude.begin(), exclude.end(), std::mt19937(42));
  Result<AddressSpace> space = Make({"10.1.0.0/16"}, exclude);
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), 65536u - 256u * 17u);
  uint64_t expected = 0;
  for (uint32_t host = 0; host < 65536; ++host) {
    const uint32_t low = host & 0xff;
    const bool excluded = low == 7 || (low >= 100 && low <= 104) || (low >= 200 && low <= 210);
    const Address address{Family::kV4, 0x0a010000u + host};
    if (excluded) {
      ASSERT_EQ(space->OrdinalOf(address), std::nullopt) << FormatAddress(address);
    } else {
      ASSERT_EQ(space->OrdinalOf(address), expected) << FormatAddress(address);
      ASSERT_TRUE(space->AddressAt(expected) == address) << expected;
      ++expected;
    }
  }
  EXPECT_EQ(expected, space->size());
}

TEST(AddressSpaceError, Unparsable) {
  ExpectError({"10.0.0.x/24"}, {}, {"pool range '10.0.0.x/24'", "not an IPv4 or IPv6 address"});
  ExpectError({"10.0.0.0/24"}, {"bogus"}, {"pool exclude 'bogus'"});
  ExpectError({"10.0.0.1-"}, {}, {"'10.0.0.1-'"});
  ExpectError({"  "}, {}, {"empty entry"});
  for (const char* entry : {"10.0.0.0/", "10.0.0.0/abc", "10.0.0.0/-1", "10.0.0.0/+8",
                            "10.0.0.0/99999999999999999999"}) {
    ExpectError({entry}, {}, {entry, "prefix length"});
  }
}

TEST(AddressSpaceError, LongEntryIsShortenedInTheMessage) {
  const std::string entry = std::string(5000, 'x');
  Result<AddressSpace> space = Make({entry});
  ASSERT_FALSE(space.ok());
  EXPECT_LT(space.status().message().size(), 400u);
  EXPECT_THAT(space.status().message(), HasSubstr("xxxx..."));
}

TEST(AddressSpaceError, FamiliesMixed) {
  ExpectError({"10.0.0.0/24", "2001:db8::/120"}, {}, {"'2001:db8::/120'", "IPv6", "IPv4"});
  ExpectError({"2001:db8::/120"}, {"10.0.0.1"}, {"pool exclude '10.0.0.1'"});
  ExpectError({"10.0.0.1-2001:db8::1"}, {}, {"'10.0.0.1-2001:db8::1'", "mixes IPv4 and IPv6"});
}

TEST(AddressSpaceError, FirstAfterLast) {
  ExpectError({"10.0.0.50-10.0.0.10"}, {}, {"'10.0.0.50-10.0.0.10'", "after"});
  ExpectError({"10.0.0.0/24"}, {"10.0.0.9-10.0.0.8"}, {"pool exclude '10.0.0.9-10.0.0.8'"});
}

TEST(AddressSpaceError, PrefixLengthBeyondTheFamily) {
  ExpectError({"10.0.0.0/33"}, {}, {"'10.0.0.0/33'", "32 bits"});
  ExpectError({"2001:db8::/129"}, {}, {"'2001:db8::/129'", "128 bits"});
}

TEST(AddressSpaceError, HostBitsSet) {
  ExpectError({"10.0.0.1/24"}, {}, {"'10.0.0.1/24'", "host bits", "10.0.0.0/24"});
  ExpectError({"2001:db8::1/64"}, {}, {"'2001:db8::1/64'", "2001:db8::/64"});
}

TEST(AddressSpaceError, RangesOverlap) {
  ExpectError({"10.0.0.0/24", "10.0.1.0/24", "10.0.0.128-10.0.0.130"}, {},
              {"'10.0.0.0/24' and '10.0.0.128-10.0.0.130' overlap"});
  ExpectError({"10.0.0.5", "10.0.0.5"}, {}, {"'10.0.0.5' and '10.0.0.5'"});
  EXPECT_TRUE(Make({"10.0.0.0/25", "10.0.0.128/25"}).ok());  // touching is not overlapping
}

TEST(AddressSpaceError, NoRanges) {
  ExpectError({}, {}, {"no ranges"});
  ExpectError({}, {"10.0.0.1"}, {"no ranges"});
}

TEST(AddressSpaceError, EverythingExcluded) {
  ExpectError({"10.0.0.0/30", "10.0.0.8"}, {"10.0.0.0-10.0.0.8"}, {"no address left"});
}

TEST(AddressSpaceError, TooManyAddresses) {
  ExpectError({"2001:db8::/64"}, {}, {"'2001:db8::/64'", "at most 2^62 addresses per pool"});
  ExpectError({"::/0"}, {}, {"'::/0'", "at most 2^62"});
  ExpectError({"8000::/1"}, {}, {"'8000::/1'", "at most 2^62"});
  ExpectError({"::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}, {"::1"}, {"at most 2^62"});
  ExpectError({"2001:db8::/67", "2001:db8:1::/67", "10::1"}, {}, {"'10::1'", "at most 2^62"});
}

TEST(AddressSpaceError, LimitCountsAddressesAfterExclusion) {
  // Half of a /65 excluded leaves exactly 2^62.
  Result<AddressSpace> space = Make({"2001:db8::/65"}, {"2001:db8::4000:0:0:0/66"});
  ASSERT_TRUE(space.ok()) << space.status().ToString();
  EXPECT_EQ(space->size(), kMaxPoolAddresses);
}

}  // namespace
}  // namespace hasync::pool
