#include "emulator/plan/plan_json.h"

#include <gtest/gtest.h>

#include "test_topologies.h"

using namespace scalelab;

TEST(ClusterFile, ListsRanksWithPerTierAddresses) {
  auto p = plan::build_plan(fixtures::tiny_topology());
  auto j = plan::cluster_file_json(p);
  EXPECT_EQ(j["name"], "tiny");
  EXPECT_EQ(j["world_size"], 4);
  EXPECT_EQ(j["base_port"], plan::kDefaultBasePort);
  ASSERT_EQ(j["ranks"].size(), 4u);
  const auto& r1 = j["ranks"][1];
  EXPECT_EQ(r1["rank"], 1);
  EXPECT_EQ(r1["node"], "gpu1");
  EXPECT_EQ(r1["netns"], "sl-tiny-gpu1");
  EXPECT_EQ(r1["domain"], 0);
  EXPECT_EQ(r1["scale_up"]["ifname"], "nvl0");
  EXPECT_EQ(r1["scale_out"]["leaf"], "leaf1");
  EXPECT_EQ(r1["scale_out"]["address"].get<std::string>().find('/'), std::string::npos);
  EXPECT_EQ(j["tiers"]["scale_out"]["emulated_bandwidth_bps"], 400'000'000u);
}

TEST(ClusterFile, AbsentTierIsNull) {
  auto p = plan::build_plan(fixtures::two_spine_topology());
  auto j = plan::cluster_file_json(p);
  EXPECT_TRUE(j["ranks"][0]["scale_up"].is_null());
  EXPECT_TRUE(j["tiers"]["scale_up"].is_null());
  EXPECT_EQ(j["ranks"][0]["domain"], -1);
}

TEST(PlanJson, DescribesEveryNamespaceAndSegment) {
  auto p = plan::build_plan(fixtures::tiny_topology());
  auto j = plan::plan_to_json(p);
  EXPECT_EQ(j["namespaces"].size(), 9u);
  EXPECT_EQ(j["segments"].size(), 6u);
  EXPECT_EQ(j["veth_pairs"], 10);
  EXPECT_TRUE(j["namespaces"][0]["interfaces"][0]["egress"].contains("netem"));
  EXPECT_TRUE(j["namespaces"][0].contains("rank"));
  auto text = plan::plan_to_text(p, true);
  EXPECT_NE(text.find("sl-tiny-spine0"), std::string::npos);
  EXPECT_NE(text.find("via"), std::string::npos);
}
