// `scalelab job` end to end: every rank a job agent in its GPU namespace, each group on its own
// connections over the tier it spans, the tables and JSON, the model comparison, and a cluster
// brought up for the job that is gone afterwards — also when the job file does not fit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cluster_fixture.h"

using namespace scalelab;

namespace {

std::string temp_file(const std::string& stem, const std::string& ext) {
  return (std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(::getpid()) + ext)).string();
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// tiny.json under a name of the test's own, so the job brings up (and removes) its own cluster.
std::string renamed_tiny(const std::string& name) {
  const auto text = std::regex_replace(read(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json"),
                                       std::regex("\"name\": \"tiny\""), "\"name\": \"" + name + "\"");
  const auto path = temp_file(name, ".json");
  std::ofstream(path) << text;
  return path;
}

const std::string kTiny3d = std::string(SCALELAB_SOURCE_DIR) + "/jobs/tiny-3d.json";

}  // namespace

TEST(Job, RunsEveryGroupOverItsTierWithCorrectDataAndComparesWithTheModel) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  const auto json_path = temp_file("scalelab_job", ".json");
  // tiny-3d's shape with messages well above the links' htb burst (1 ms of rate: 450 KB on NVLink
  // ÷ 1000, 50 KB on a rail), so no operation can ride a full bucket past its link's rate; with
  // the shipped 256 KiB, a TP all_reduce fits in the burst and measured up to 1.2× the link.
  const auto job = temp_file("scalelab_job_spec", ".json");
  std::ofstream(job) << R"({"name": "tiny-3d-long-messages", "parallel": {"tp": 2, "pp": 2, "dp": "auto"},
    "layers_per_stage": 2, "micro_batches": 3,
    "layer": {"tp_bytes": "8MiB", "forward": "20us", "backward": "40us"},
    "pipeline": {"activation_bytes": "1MiB"}, "optimizer": "20us"})";
  auto r = fixtures::run_scalelab({"job", cluster.name(), job, "--steps", "2", "--json", json_path, "--compare-model"});
  std::filesystem::remove(job);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("# Data check: every operation correct (#wrong 0)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("tp 2 × pp 2 × dp 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# Model comparison (job tiny-3d"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# step time error "), std::string::npos) << r.output;

  const auto j = nlohmann::json::parse(read(json_path));
  std::filesystem::remove(json_path);
  EXPECT_EQ(j.at("wrong"), 0);
  ASSERT_EQ(j.at("steps").size(), 3u);
  EXPECT_TRUE(j["steps"][0]["warmup"].get<bool>());
  for (const auto& s : j["steps"]) {
    EXPECT_GT(s.at("phases_ms").at("tp").get<double>(), 0) << s;
    EXPECT_GT(s.at("phases_ms").at("pp").get<double>(), 0) << s;
    EXPECT_GE(s.at("time_ms").get<double>(), s.at("compute_ms").get<double>()) << s;
  }
  // The groups crossed the shaped links: TP over NVLink (450 GB/s ÷ 1000 per direction), PP over
  // the 400 Gb/s rails (÷ 1000 = 0.05 GB/s); neither can beat its link by more than its burst
  // (≤ 5.4% of an 8 MiB all_reduce's bytes per direction, ≤ 4.8% of a 1 MiB send).
  std::map<std::string, nlohmann::json> groups;
  for (const auto& g : j.at("groups")) groups[g.at("group")] = g;
  ASSERT_TRUE(groups.count("tp") && groups.count("pp")) << j.dump(2);
  EXPECT_EQ(groups["tp"]["tier"], "scale_up");
  EXPECT_EQ(groups["pp"]["tier"], "scale_out");
  const double pp = groups["pp"]["busbw_GBps"].get<double>(), tp = groups["tp"]["busbw_GBps"].get<double>();
  EXPECT_GT(pp, 0);
  EXPECT_LE(pp, 0.05 * 1.10) << "pp faster than its 400 Gb/s ÷ 1000 rail";
  EXPECT_GT(tp, 0);
  EXPECT_LE(tp, 0.45 * 1.10) << "tp faster than NVLink ÷ 1000";
  std::cout << "tp " << tp << " GB/s, pp " << pp << " GB/s\n";
  EXPECT_NEAR(groups["pp"]["projected_real_busbw_GBps"].get<double>(), pp * 1000, pp);
}

TEST(Job, BringsATopologyUpForTheJobAndRemovesItAfter) {
  SCALELAB_REQUIRE_ROOT();
  const auto name = fixtures::unique_cluster_name("job");
  const auto topology = renamed_tiny(name);
  auto r = fixtures::run_scalelab({"job", topology, kTiny3d, "--steps", "1", "--warmup-steps", "1"});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cluster " + name + " up in "), std::string::npos) << r.output;
  EXPECT_TRUE(fixtures::namespaces_of(name).empty()) << "the job's cluster must be removed";
  std::filesystem::remove(topology);
}

TEST(Job, AJobThatDoesNotFitIsRefusedBeforeAnythingIsBuilt) {
  SCALELAB_REQUIRE_ROOT();
  const auto name = fixtures::unique_cluster_name("jobbad");
  const auto topology = renamed_tiny(name);
  const auto job = temp_file("scalelab_badjob", ".json");
  std::ofstream(job) << R"({"name": "wide-tp", "parallel": {"tp": 4}})";  // tiny's NVLink domains hold 2
  auto r = fixtures::run_scalelab({"job", topology, job});
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find(job + ": /parallel/tp: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NVLink"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing was started"), std::string::npos) << r.output;
  EXPECT_TRUE(fixtures::namespaces_of(name).empty());
  std::filesystem::remove(topology);
  std::filesystem::remove(job);
}
