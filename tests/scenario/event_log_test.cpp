// The drill's event log keeps iterations compact (a soak records tens of thousands) and gives
// them back exactly as they came, in time order with everything else.
#include <gtest/gtest.h>

#include "emulator/scenario/event_log.h"

using scalelab::scenario::EventLog;

namespace {

nlohmann::json iteration(int rank, double t, std::optional<int> wrong = std::nullopt) {
  nlohmann::json e = {{"type", "iteration"}, {"rank", rank}, {"iter", 7}, {"t", t}, {"start", t - 0.1}, {"duration_ms", 100.0},
                      {"busbw_GBps", 0.25}, {"algbw_GBps", 0.125}, {"bytes", 4194304}};
  if (wrong) e["wrong"] = *wrong;
  return e;
}

}  // namespace

TEST(EventLog, IterationsComeBackAsTheyWereInTimeOrder) {
  EventLog log;
  const nlohmann::json fault = {{"t", 1.5}, {"type", "fault"}, {"action", "link_down"}};
  const nlohmann::json odd = {{"t", 0.5}, {"type", "iteration"}, {"rank", 1}, {"note", "another shape"}};
  log.add(iteration(0, 2.0));
  log.add(fault);
  log.add(iteration(3, 1.0, 0));
  log.add(odd);
  auto all = log.snapshot();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0], odd);  // not of the engine's shape: kept whole
  EXPECT_EQ(all[1].dump(), iteration(3, 1.0, 0).dump());
  EXPECT_EQ(all[2], fault);
  EXPECT_EQ(all[3].dump(), iteration(0, 2.0).dump());
  EXPECT_EQ(log.size(), 4u);

  auto without = log.snapshot(/*iterations=*/false);
  ASSERT_EQ(without.size(), 2u);  // the odd one is not compact, so it stays
  EXPECT_EQ(without[1], fault);
}
