// scalelab::plan_topology and the typed topology errors: no root, nothing touched.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scalelab/cluster.h"

namespace {

std::string tiny() { return std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json"; }

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / (name + "-" + std::to_string(getpid()) + ".json");
  std::ofstream(path) << text;
  return path.string();
}

TEST(PlanTopology, TinyHasFourGpusAndEveryTier) {
  auto p = scalelab::plan_topology(tiny());
  EXPECT_EQ(p.cluster, "tiny");
  EXPECT_EQ(p.gpus, 4u);
  EXPECT_EQ(p.dilation, 1000);
  // 4 GPUs, 2 NVLink switches, 2 leaves, 1 spine.
  EXPECT_EQ(p.namespaces, 9u);
  ASSERT_GE(p.nodes.size(), 4u);
  EXPECT_EQ(p.nodes[0], "gpu0");
  EXPECT_EQ(p.nodes[3], "gpu3");
  EXPECT_EQ(p.gpu_domains, (std::vector<int>{0, 0, 1, 1}));  // one NVLink domain per host
  EXPECT_GT(p.links, 0u);
  EXPECT_GT(p.routes, 0u);
  EXPECT_EQ(p.json["cluster"], "tiny");
  EXPECT_NE(p.text.find("gpu0"), std::string::npos);
}

TEST(PlanTopology, NameOverrideRenamesNamespaces) {
  auto p = scalelab::plan_topology(tiny(), "ap-plan-1");
  EXPECT_EQ(p.cluster, "ap-plan-1");
  EXPECT_NE(p.json.dump().find("sl-ap-plan-1-gpu0"), std::string::npos);
}

TEST(PlanTopology, NameOverrideTooLongForTheKernelIsATopologyError) {
  try {
    scalelab::plan_topology(tiny(), std::string(25, 'a'));
    FAIL() << "a 25-character name was accepted";
  } catch (const scalelab::TopologyError& e) {
    EXPECT_EQ(e.source(), tiny());
    EXPECT_EQ(e.json_pointer(), "/name");
    EXPECT_EQ(std::string(e.what()), e.source() + ": /name: " + e.message());
  }
}

TEST(PlanTopology, BadFieldNamesFilePointerAndFix) {
  auto path = write_temp("ap-bad-bw",
                         R"({"name": "x", "cluster": {"hosts": 1, "gpus_per_host": 2,
                             "scale_up": {"domain": "host", "bandwidth": "450GB/s", "latency": "1us"},
                             "scale_out": {"nic_bandwidth": "400G", "latency": "2us", "rails": 1, "spines": 0}}})");
  try {
    scalelab::plan_topology(path);
    FAIL() << "400G was accepted";
  } catch (const scalelab::TopologyError& e) {
    EXPECT_EQ(e.source(), path);
    EXPECT_EQ(e.json_pointer(), "/cluster/scale_out/nic_bandwidth");
    EXPECT_NE(e.message().find("400Gb/s"), std::string::npos) << e.message();
  }
  std::filesystem::remove(path);
}

TEST(PlanTopology, MissingFileIsATopologyErrorToo) {
  EXPECT_THROW(scalelab::plan_topology("/nonexistent/ap.json"), scalelab::TopologyError);
}

TEST(Errors, EveryTypeIsAScalelabError) {
  // Callers may catch the one base; what() keeps the text.
  EXPECT_STREQ(scalelab::ClusterExists("taken").what(), "taken");
  const scalelab::Error& e = scalelab::NotPermitted("needs root");
  EXPECT_STREQ(e.what(), "needs root");
  EXPECT_THROW(throw scalelab::FaultError("x"), scalelab::Error);
  EXPECT_THROW(throw scalelab::NotFound("x"), scalelab::Error);
  EXPECT_THROW(throw scalelab::BringUpError("x"), scalelab::Error);
  EXPECT_THROW(throw scalelab::LaunchError("x"), std::runtime_error);
}

}  // namespace
