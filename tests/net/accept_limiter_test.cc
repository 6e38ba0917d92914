// The sync listener's token bucket and its once-a-second summary, in virtual time.
#include "net/accept_limiter.h"

#include <gtest/gtest.h>

namespace hasync::net {
namespace {

using namespace std::chrono_literals;
using Clock = AcceptLimiter::Clock;

TEST(AcceptLimiterTest, BurstThenTheRate) {
  AcceptLimiter limiter(20);
  Clock::time_point t;
  int admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limiter.Admit(t, "10.0.0.9") ? 1 : 0;
  EXPECT_EQ(admitted, 20) << "the burst is the rate";
  EXPECT_FALSE(limiter.Admit(t + 10ms, "10.0.0.9"));
  EXPECT_TRUE(limiter.Admit(t + 50ms, "10.0.0.9")) << "one token every 50 ms";
  EXPECT_FALSE(limiter.Admit(t + 60ms, "10.0.0.9"));
  admitted = 0;
  for (int i = 0; i < 100; ++i) admitted += limiter.Admit(t + 1h, "10.0.0.9") ? 1 : 0;
  EXPECT_EQ(admitted, 20) << "an idle bucket refills to the burst, no further";
}

TEST(AcceptLimiterTest, SummaryNamesTheSourceAndStartsAgain) {
  AcceptLimiter limiter(2);
  Clock::time_point t;
  EXPECT_EQ(limiter.TakeSummary(), std::nullopt);
  for (int i = 0; i < 5; ++i) limiter.Admit(t, "10.0.0.9");
  EXPECT_EQ(limiter.TakeSummary(),
            "refused 3 connections from 10.0.0.9 in the last second: over "
            "max_connections_per_second (2)");
  EXPECT_EQ(limiter.TakeSummary(), std::nullopt);
  limiter.Admit(t, "10.0.0.9");
  EXPECT_EQ(limiter.TakeSummary(),
            "refused 1 connection from 10.0.0.9 in the last second: over "
            "max_connections_per_second (2)");
}

TEST(AcceptLimiterTest, SummaryOfManySourcesNamesTheLargest) {
  AcceptLimiter limiter(1);
  Clock::time_point t;
  limiter.Admit(t, "10.0.0.1");
  for (int i = 0; i < 3; ++i) limiter.Admit(t, "10.0.0.1");
  for (int i = 0; i < 5; ++i) limiter.Admit(t, "10.0.0.2");
  EXPECT_EQ(limiter.TakeSummary(),
            "refused 8 connections from 10.0.0.2 (5) and 1 other addresses in the last second: "
            "over max_connections_per_second (1)");
  for (int i = 0; i < 40; ++i) limiter.Admit(t, "10.0.1." + std::to_string(i));
  EXPECT_EQ(limiter.TakeSummary(),
            "refused 40 connections from 10.0.1.0 (1) and more than 15 other addresses in the "
            "last second: over max_connections_per_second (1)");
}

}  // namespace
}  // namespace hasync::net
