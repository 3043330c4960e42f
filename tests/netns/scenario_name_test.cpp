// `run-scenario --name`: a drill beside a cluster already up under its topology's name runs
// under the name it is given and leaves that cluster alone; without --name it is refused with
// the way out, and the cluster that was there is still whole.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "cluster_fixture.h"
#include "emulator/runtime/cluster_dir.h"

using namespace scalelab;

namespace {

std::string write_drill(const std::string& name, const std::string& topology_file) {
  std::string file = "/tmp/" + name + ".json";
  std::ofstream(file) << R"({"name": ")" << name << R"(", "topology": ")" << topology_file
                      << R"(", "workload": {"collective": "all_reduce", "size": "256K", "duration": "2s"},
                            "steps": [], "expect": [{"completes": {}}]})";
  return file;
}

// tiny.json renamed, so a drill on it collides with the cluster the test brought up.
std::string tiny_named(const std::string& name) {
  std::ifstream in(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json");
  std::stringstream text;
  text << in.rdbuf();
  std::string file = "/tmp/" + name + "-topology.json";
  std::ofstream(file) << std::regex_replace(text.str(), std::regex("\"name\": \"tiny\""), "\"name\": \"" + name + "\"");
  return file;
}

}  // namespace

TEST(ScenarioName, ADrillBesideASameNamedClusterRunsUnderItsOwnName) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster existing(fixtures::shipped_topology("tiny.json"));
  const auto namespaces_before = fixtures::namespaces_of(existing.name());
  const auto drill = write_drill(fixtures::unique_cluster_name("drn"), tiny_named(existing.name()));

  auto refused = fixtures::run_scalelab({"run-scenario", drill, "--report", drill + ".report"});
  EXPECT_NE(refused.status, 0) << refused.output;
  EXPECT_NE(refused.output.find("already exists"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("--name"), std::string::npos) << "the refusal names no way out: " << refused.output;

  const auto own = fixtures::unique_cluster_name("drn");
  auto ran = fixtures::run_scalelab({"run-scenario", drill, "--name", own, "--report", drill + ".report"});
  EXPECT_EQ(ran.status, 0) << ran.output;
  EXPECT_NE(ran.output.find("on cluster " + own), std::string::npos) << ran.output;
  EXPECT_TRUE(fixtures::namespaces_of(own).empty()) << "the drill's own cluster was left up";
  EXPECT_FALSE(runtime::ClusterDir::open(own).has_value());
  EXPECT_EQ(fixtures::namespaces_of(existing.name()), namespaces_before) << "the drill touched the cluster that was already up";
  EXPECT_TRUE(runtime::ClusterDir::open(existing.name()).has_value());
}

TEST(ScenarioName, AnInvalidNameIsRefusedBeforeAnythingIsBuilt) {
  SCALELAB_REQUIRE_ROOT();
  const auto drill = write_drill(fixtures::unique_cluster_name("drn"), std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json");
  auto r = fixtures::run_scalelab({"run-scenario", drill, "--name", "Not_A_Name", "--report", drill + ".report"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("/name"), std::string::npos) << r.output;
  EXPECT_TRUE(fixtures::namespaces_of("Not_A_Name").empty());
}
