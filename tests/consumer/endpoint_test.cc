#include "consumer/endpoint.h"

#include <gtest/gtest.h>

namespace hasync::consumer {
namespace {

TEST(ConsumerEndpoint, TakesNumericAddressesOfBothFamilies) {
  Result<asio::ip::tcp::endpoint> v4 = ParseEndpoint("127.0.0.1:7402");
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  EXPECT_EQ(FormatEndpoint(*v4), "127.0.0.1:7402");
  Result<asio::ip::tcp::endpoint> v6 = ParseEndpoint("[::1]:7402");
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(FormatEndpoint(*v6), "[::1]:7402");
}

// A node listens on port 0 only in tests; a consumer must reach a real port.
TEST(ConsumerEndpoint, RefusesPortZeroANameAndABareIpv6Address) {
  EXPECT_FALSE(ParseEndpoint("127.0.0.1:0").ok());
  EXPECT_TRUE(hasync::ParseEndpoint("127.0.0.1:0").ok());
  EXPECT_FALSE(ParseEndpoint("localhost:7402").ok());
  EXPECT_FALSE(ParseEndpoint("::1:7402").ok());
  EXPECT_FALSE(ParseEndpoint("127.0.0.1").ok());
}

}  // namespace
}  // namespace hasync::consumer
