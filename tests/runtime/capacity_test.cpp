#include "emulator/runtime/capacity.h"

#include <gtest/gtest.h>

#include <string>

#include "emulator/model/topology.h"

namespace scalelab::runtime {
namespace {

model::Topology load(const std::string& file) {
  return model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file);
}

TEST(CapacityDemand, EveryGpuAtItsFastestLinkOncePerVethCrossed) {
  // tiny: 4 GPUs whose fastest link is NVLink (450 GB/s = 3.6 Tb/s per direction) to a switch:
  // GPU → nvsw → GPU crosses two veths. At dilation 1000: 4 × 3.6 Gb/s × 2.
  EXPECT_EQ(aggregate_demand_bps(load("tiny.json"), 1000), 4ull * 3'600'000'000 * 2);
  // h100x2: 16 such GPUs.
  EXPECT_EQ(aggregate_demand_bps(load("h100x2.json"), 10000), 16ull * 360'000'000 * 2);
}

TEST(CapacityDemand, ADirectGpuToGpuLinkCrossesOneVeth) {
  auto t = model::parse_topology(R"({ "name": "pair", "dilation": 1,
    "nodes": [ { "name": "gpu0", "kind": "gpu", "host": 0 }, { "name": "gpu1", "kind": "gpu", "host": 0 } ],
    "links": [ { "a": "gpu0", "b": "gpu1", "tier": "scale_up", "bandwidth": "1Gb/s" } ] })",
                                 "pair.json");
  EXPECT_EQ(aggregate_demand_bps(t, 1), 2ull * 1'000'000'000);
}

TEST(CapacityAutoDilation, SmallestStepUnderHalfTheCapacity) {
  const auto h100x2 = load("h100x2.json");
  // 18.3 Gb/s measured: half is 9.15; δ 10000 asks 11.52 Gb/s, δ 20000 asks 5.76.
  EXPECT_DOUBLE_EQ(auto_dilation(h100x2, 18'300'000'000ull), 20000);
  EXPECT_DOUBLE_EQ(auto_dilation(h100x2, 1'000'000'000'000'000ull), 1);
  EXPECT_LE(aggregate_demand_bps(h100x2, auto_dilation(h100x2, 5'000'000'000ull)), 2'500'000'000ull);
}

}  // namespace
}  // namespace scalelab::runtime
