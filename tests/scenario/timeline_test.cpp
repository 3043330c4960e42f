#include "emulator/scenario/timeline.h"

#include <gtest/gtest.h>

using namespace scalelab::scenario;

TEST(Timeline, FlapBecomesDownsUpsAndReconvergences) {
  Scenario s;
  s.convergence_s = 0.1;
  Step flap;
  flap.action = "flap", flap.target = "rail:0", flap.at_s = 4, flap.period_s = 0.4, flap.count = 2;
  s.steps = {flap};
  auto t = expand_timeline(s);
  std::vector<std::pair<double, std::string>> got;
  for (const auto& a : t) got.push_back({a.at_s, a.action});
  std::vector<std::pair<double, std::string>> want = {{4.0, "link_down"}, {4.1, "reconverge"}, {4.2, "link_up"}, {4.3, "reconverge"},
                                                      {4.4, "link_down"}, {4.5, "reconverge"}, {4.6, "link_up"}, {4.7, "reconverge"}};
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i].first, want[i].first, 1e-9);
    EXPECT_EQ(got[i].second, want[i].second);
  }
}

TEST(Timeline, DurationsAddTheirUndo) {
  Scenario s;
  s.convergence_s = 0.2;
  Step slow, cut;
  slow.action = "straggler", slow.target = "rank:1", slow.at_s = 5, slow.duration_s = 3;
  cut.action = "link_down", cut.target = "rail:1", cut.at_s = 6, cut.duration_s = 1;
  s.steps = {slow, cut};
  auto t = expand_timeline(s);
  std::vector<std::string> order;
  for (const auto& a : t) order.push_back(a.action + (a.undo ? "*" : ""));
  EXPECT_EQ(order, (std::vector<std::string>{"straggler", "link_down", "reconverge", "link_up*", "reconverge*", "release*"}));
}

TEST(Timeline, AFaultUndoneBeforeConvergenceIsNeverReroutedAround) {
  // The control plane converges in 0.3 s; a 0.2 s flap and a 0.25 s link_down are over by then.
  Scenario s;
  s.convergence_s = 0.3;
  Step flap, blip;
  flap.action = "flap", flap.target = "rail:0", flap.at_s = 4, flap.period_s = 0.4, flap.count = 1;
  blip.action = "link_down", blip.target = "rail:1", blip.at_s = 6, blip.duration_s = 0.25;
  s.steps = {flap, blip};
  std::vector<std::string> order;
  for (const auto& a : expand_timeline(s)) order.push_back(a.action + (a.undo ? "*" : ""));
  // Only the reconvergence after each undo remains: it reinstalls the routes the kernel dropped
  // while the interface was down.
  EXPECT_EQ(order, (std::vector<std::string>{"link_down", "link_up*", "reconverge*", "link_down", "link_up*", "reconverge*"}));
}
