#include "emulator/plan/segments.h"

#include <gtest/gtest.h>

#include "test_topologies.h"

using namespace scalelab;

TEST(Segments, BridgesJoinTheirPortsAndRoutedLinksStandAlone) {
  auto topology = fixtures::tiny_topology();
  auto segments = plan::find_segments(topology);
  // 2 scale-up domains + 2 rails + 2 leaf-spine links.
  ASSERT_EQ(segments.size(), 6u);
  std::size_t bridged = 0, point_to_point = 0;
  for (const auto& s : segments) {
    if (s.switches.empty()) {
      point_to_point++;
      EXPECT_EQ(s.links.size(), 1u);
    } else {
      bridged++;
      EXPECT_EQ(s.switches.size(), 1u);
      EXPECT_EQ(s.links.size(), 2u);  // two gpus per domain / per rail
    }
  }
  EXPECT_EQ(bridged, 4u);
  EXPECT_EQ(point_to_point, 2u);
}

TEST(Segments, SwitchToSwitchLinksMergeBroadcastDomains) {
  auto topology = model::parse_topology(R"({"name": "l2", "nodes": [
      {"name": "g0", "kind": "gpu"}, {"name": "g1", "kind": "gpu"}, {"name": "s0", "kind": "switch"}, {"name": "s1", "kind": "switch"}],
    "links": [{"a": "g0", "b": "s0", "tier": "scale_out", "bandwidth": "1Gb/s"},
              {"a": "s0", "b": "s1", "tier": "scale_out", "bandwidth": "1Gb/s"},
              {"a": "g1", "b": "s1", "tier": "scale_out", "bandwidth": "1Gb/s"}]})",
                                        "l2.json");
  auto segments = plan::find_segments(topology);
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].links.size(), 3u);
  EXPECT_EQ(segments[0].switches.size(), 2u);
}
