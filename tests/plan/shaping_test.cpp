#include "emulator/plan/shaping.h"

#include <gtest/gtest.h>

using namespace scalelab;

TEST(Shaping, DividesRatesAndMultipliesLatenciesByDilation) {
  model::LinkParams link{400'000'000'000ull, 2'000, 500, 0.001, 4200};
  auto s = plan::make_shaping(link, 1000);
  EXPECT_EQ(s.rate_bps, 400'000'000u);
  EXPECT_EQ(s.delay_ns, 2'000'000u);
  EXPECT_EQ(s.jitter_ns, 500'000u);
  EXPECT_DOUBLE_EQ(s.loss, 0.001);
  EXPECT_TRUE(s.needs_netem());
}

TEST(Shaping, BurstCoversAMillisecondAndQuantumStaysUnderTheKernelWarning) {
  model::LinkParams fast{7'200'000'000'000ull, 0, 0, 0, 9000};
  auto s = plan::make_shaping(fast, 1000);  // 7.2 Gb/s = 900 MB/s
  EXPECT_EQ(s.burst_bytes, 900'000u);
  EXPECT_EQ(s.quantum_bytes, 200'000u);
  EXPECT_FALSE(s.needs_netem());

  model::LinkParams slow{1'000'000, 0, 0, 0, 1500};
  auto t = plan::make_shaping(slow, 1);  // 125 kB/s
  EXPECT_EQ(t.burst_bytes, 4u * 1514);     // at least four frames
  EXPECT_EQ(t.quantum_bytes, 12'500u);
}

TEST(Shaping, NetemLimitHoldsTwiceTheBandwidthDelayProduct) {
  model::LinkParams link{8'000'000'000ull, 10'000'000, 0, 0, 1500};  // 1 GB/s, 10 ms
  auto s = plan::make_shaping(link, 1);
  // 1e9 B/s × 0.01 s / 1514 B = 6605.02, rounded up to 6606 packets in flight; twice that.
  EXPECT_EQ(s.netem_limit_packets, 2u * 6606);
}

TEST(Shaping, RateNeverFallsBelowTheShapingFloor) {
  model::LinkParams link{1'000, 0, 0, 0, 1500};
  EXPECT_EQ(plan::make_shaping(link, 1000).rate_bps, plan::kMinimumRateBps);
}

TEST(Shaping, AutoDilationBringsTheFastestLinkUnderTheCeiling) {
  model::Topology t;
  t.links.push_back({"a", "b", model::Tier::scale_up, {7'200'000'000'000ull}});
  t.links.push_back({"a", "c", model::Tier::scale_out, {400'000'000'000ull}});
  EXPECT_DOUBLE_EQ(plan::default_auto_dilation(t, 4'000'000'000), 2000);  // 7.2T/2000 = 3.6G
  EXPECT_DOUBLE_EQ(plan::default_auto_dilation(t, 10'000'000'000'000ull), 1);
}
