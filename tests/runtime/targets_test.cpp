#include "emulator/runtime/targets.h"

#include <gtest/gtest.h>

#include "emulator/model/topology.h"
#include "emulator/runtime/fault_state.h"

using namespace scalelab;

namespace {
plan::Plan h100x2() {
  return plan::build_plan(model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/h100x2.json"));
}
std::string link_name(const plan::Plan& p, int l) { return p.topology.links[l].a + "-" + p.topology.links[l].b; }
}  // namespace

TEST(Targets, RailOfHostIsOneGpuLink) {
  auto p = h100x2();
  auto links = runtime::resolve_links(p, "rail3:host1");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(link_name(p, links[0]), "gpu11-leaf3");
}

TEST(Targets, LinkByNameInEitherOrder) {
  auto p = h100x2();
  EXPECT_EQ(runtime::resolve_links(p, "link:leaf0-spine1"), runtime::resolve_links(p, "link:spine1-leaf0"));
  EXPECT_EQ(runtime::resolve_links(p, "gpu3:nic0"), runtime::resolve_links(p, "link:gpu3-leaf3"));
}

TEST(Targets, NodeRailHostTierAndAll) {
  auto p = h100x2();
  EXPECT_EQ(runtime::resolve_links(p, "switch:spine0").size(), 8u);  // one per leaf
  EXPECT_EQ(runtime::resolve_links(p, "spine:0"), runtime::resolve_links(p, "switch:spine0"));
  EXPECT_NE(runtime::resolve_links(p, "spine:1"), runtime::resolve_links(p, "spine:0"));
  EXPECT_THROW(runtime::resolve_links(p, "spine:99"), runtime::TargetError);
  EXPECT_EQ(runtime::resolve_links(p, "rail:0").size(), 4u);         // 2 gpus + 2 spines
  EXPECT_EQ(runtime::resolve_links(p, "host:0").size(), 16u);        // 8 gpus × (nvl0 + nic0)
  EXPECT_EQ(runtime::resolve_links(p, "tier:scale_up").size(), 16u);
  EXPECT_EQ(runtime::resolve_links(p, "all").size(), p.topology.links.size());
  EXPECT_EQ(runtime::resolve_links(p, "rank:9").size(), 2u);
}

TEST(Targets, GpusAndNics) {
  auto p = h100x2();
  EXPECT_EQ(runtime::resolve_gpus(p, "host:1").size(), 8u);
  EXPECT_EQ(runtime::resolve_gpus(p, "rank:5"), std::vector<std::string>{"gpu5"});
  EXPECT_EQ(runtime::resolve_gpus(p, "rail:2"), (std::vector<std::string>{"gpu2", "gpu10"}));
  auto nics = runtime::resolve_nics(p, "gpu4:nic0");
  ASSERT_EQ(nics.size(), 1u);
  EXPECT_EQ(nics[0], (std::pair<std::string, std::string>{"gpu4", "nic0"}));
  EXPECT_EQ(runtime::resolve_nics(p, "host:0").size(), 8u) << "scale-out NICs only";
}

TEST(Targets, UnknownTargetsSayWhatExists) {
  auto p = h100x2();
  for (std::string bad : {"nosuch", "link:gpu0-spine0", "rank:99", "rail9:host0", "tier:nvlink", "gpu4:nic7", "rank:x"}) {
    try {
      runtime::resolve_links(p, bad);
      ADD_FAILURE() << bad << " should be rejected";
    } catch (const runtime::TargetError& e) {
      EXPECT_NE(std::string(e.what()).find('"'), std::string::npos) << e.what();
    }
  }
}

TEST(FaultState, RoundTripsThroughJson) {
  runtime::FaultState s;
  s.down_links = {3, 7};
  s.down_nics = {"gpu3:nic0"};
  s.degraded[4] = {100'000'000, 2'000'000, std::nullopt, 0.01};
  s.partitions.push_back({{"gpu0"}, {"gpu1", "gpu2"}});
  s.routed_around = {3};
  auto back = runtime::FaultState::from_json(s.to_json());
  EXPECT_EQ(back.down_links, s.down_links);
  EXPECT_EQ(back.down_nics, s.down_nics);
  EXPECT_EQ(back.degraded[4].rate_bps, 100'000'000u);
  EXPECT_EQ(back.degraded[4].delay_ns, 2'000'000u);
  EXPECT_FALSE(back.degraded[4].jitter_ns);
  EXPECT_DOUBLE_EQ(*back.degraded[4].loss, 0.01);
  ASSERT_EQ(back.partitions.size(), 1u);
  EXPECT_EQ(back.partitions[0].side_b, (std::vector<std::string>{"gpu1", "gpu2"}));
  EXPECT_EQ(back.failed_links({{"gpu3:nic0", 11}}), (std::set<int>{3, 7, 11}));
}
