#include <gtest/gtest.h>

#include "bench/startup.h"

using namespace scalelab::agent;

TEST(Startup, NamesTheLastAndSlowestRanksRelativeToTheFirstStart) {
  // Rank 2 starts first (t=100 s); rank 1 starts last, parses slowest and connects last.
  const std::int64_t s = 100'000'000;
  const std::vector<StartupStamps> st = {
      {s + 500'000, s + 510'000, s + 3'000'000, 0},
      {s + 2'000'000, s + 2'250'000, s + 4'000'000, 2},
      {s, s + 20'000, s + 3'500'000, 1},
  };
  const StartupSummary sum = summarize_startup(st, s + 4'100'000);
  EXPECT_EQ(sum.world, 3);
  EXPECT_DOUBLE_EQ(sum.start_spread_s, 2.0);
  EXPECT_EQ(sum.last_started, 1);
  EXPECT_DOUBLE_EQ(sum.slowest_load_s, 0.25);
  EXPECT_EQ(sum.slowest_loader, 1);
  EXPECT_DOUBLE_EQ(sum.connected_s, 4.0);
  EXPECT_EQ(sum.last_connected, 1);
  EXPECT_DOUBLE_EQ(sum.gathered_s, 4.1);
  EXPECT_EQ(sum.redialled, 3);
  EXPECT_EQ(format_startup(sum),
            "# Start-up: 3 ranks started within 2.000 s (last: rank 1); cluster file parsed in at most 0.250 s "
            "(rank 1); every rank connected at 4.000 s (last: rank 1; 3 dials made again); rank lines gathered at "
            "4.100 s");
  EXPECT_EQ(startup_json(sum)["last_connected"], 1);
  EXPECT_EQ(startup_json(sum)["redialled"], 3);
}

TEST(Startup, OneRankAndNoRanks) {
  const StartupSummary one = summarize_startup({{10, 15, 40}}, 50);
  EXPECT_DOUBLE_EQ(one.start_spread_s, 0);
  EXPECT_DOUBLE_EQ(one.slowest_load_s, 5e-6);
  EXPECT_DOUBLE_EQ(one.gathered_s, 40e-6);
  EXPECT_THROW(summarize_startup({}, 0), std::invalid_argument);
}

TEST(Startup, WallClockMovesForward) {
  const auto a = wall_clock_us();
  const auto b = wall_clock_us();
  EXPECT_GT(a, 1'700'000'000'000'000);  // after 2023: it is the wall clock, not a monotonic one
  EXPECT_GE(b, a);
}
