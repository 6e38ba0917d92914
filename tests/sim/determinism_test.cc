// A failing seed must replay exactly: the same seed gives the same trace, byte for byte, and
// tracing does not change the run.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "sim/world.h"

namespace hasync::sim {
namespace {

std::string Traced(uint64_t seed, BreakMode brk = BreakMode::kNone,
                   PoolChoice pool = PoolChoice::kDrawn,
                   ConsumerChoice consumers = ConsumerChoice::kDrawn) {
  std::ostringstream out;
  SimOptions options;
  options.seed = seed;
  options.trace = &out;
  options.brk = brk;
  options.pool = pool;
  options.consumers = consumers;
  RunSeed(options);
  return out.str();
}

TEST(SimDeterminism, SameSeedSameTrace) {
  for (uint64_t seed : {7u, 42u, 1234u}) {
    const std::string first = Traced(seed);
    EXPECT_GT(first.size(), 10'000u) << "seed " << seed << " traced almost nothing";
    EXPECT_EQ(first, Traced(seed)) << "seed " << seed << " did not replay identically";
  }
}

TEST(SimDeterminism, TracingDoesNotChangeTheRun) {
  std::ostringstream out;
  SimOptions traced;
  traced.seed = 99;
  traced.trace = &out;
  SimOptions plain;
  plain.seed = 99;
  const SimResult a = RunSeed(traced);
  const SimResult b = RunSeed(plain);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(a.writes, b.writes);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.failure.has_value(), b.failure.has_value());
}

TEST(SimDeterminism, PoolSeedsReplayIdentically) {
  for (uint64_t seed : {7u, 42u}) {
    const std::string first = Traced(seed, BreakMode::kNone, PoolChoice::kAll);
    EXPECT_NE(first.find("pool answers"), std::string::npos) << "seed " << seed;
    EXPECT_EQ(first, Traced(seed, BreakMode::kNone, PoolChoice::kAll)) << "seed " << seed;
  }
}

// The pool draws from its own generator: a seed that does not run one runs exactly as it would
// with pools switched off (and as it did before they existed).
TEST(SimDeterminism, SeedsWithoutAPoolIgnoreIt) {
  const std::string drawn = Traced(3);
  ASSERT_EQ(drawn.find("pool answers"), std::string::npos) << "seed 3 now draws a pool";
  EXPECT_EQ(drawn, Traced(3, BreakMode::kNone, PoolChoice::kNone));
  EXPECT_NE(Traced(1).find("pool answers"), std::string::npos) << "seed 1 no longer draws a pool";
}

TEST(SimDeterminism, ConsumerSeedsReplayIdentically) {
  for (uint64_t seed : {7u, 42u}) {
    const std::string first =
        Traced(seed, BreakMode::kNone, PoolChoice::kDrawn, ConsumerChoice::kAll);
    EXPECT_NE(first.find("applies op"), std::string::npos) << "seed " << seed;
    EXPECT_EQ(first, Traced(seed, BreakMode::kNone, PoolChoice::kDrawn, ConsumerChoice::kAll))
        << "seed " << seed;
  }
}

// Consumers draw from their own generator too: a seed without them runs as it did before them.
TEST(SimDeterminism, SeedsWithoutConsumersIgnoreThem) {
  const std::string drawn = Traced(2);
  ASSERT_EQ(drawn.find("applies op"), std::string::npos) << "seed 2 now draws consumers";
  EXPECT_EQ(drawn, Traced(2, BreakMode::kNone, PoolChoice::kDrawn, ConsumerChoice::kNone));
  EXPECT_NE(Traced(1).find("applies op"), std::string::npos) << "seed 1 no longer draws them";
}

TEST(SimDeterminism, DifferentSeedsDiffer) { EXPECT_NE(Traced(1), Traced(2)); }

TEST(SimDeterminism, FailingRunReplaysIdentically) {
  // A planted defect makes a failing run; its replay must be just as exact.
  const std::string first = Traced(3, BreakMode::kDropBulk);
  EXPECT_NE(first.find("FAILED bulk_complete"), std::string::npos);
  EXPECT_EQ(first, Traced(3, BreakMode::kDropBulk));
}

}  // namespace
}  // namespace hasync::sim
