// `scalelab bench` end to end: real agents in the GPU namespaces, rank 0's header and JSON, and
// the model comparison stage by stage.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cluster_fixture.h"

using namespace scalelab;

TEST(Bench, ReportsStartupAndEachStageAgainstTheModel) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  const auto json_path =
      std::filesystem::temp_directory_path() / ("scalelab_bench_" + std::to_string(::getpid()) + ".json");
  auto r = fixtures::run_scalelab({"bench", cluster.name(), "all_reduce", "-b", "64K", "-e", "64K", "-n", "2", "-w",
                                   "1", "--compare-model", "--json", json_path.string()});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("# Out of bounds values : 0 OK"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# Start-up: 4 ranks started within "), std::string::npos) << r.output;
  // tiny has two domains of two GPUs: auto is hier, and every stage is compared with the model.
  for (const char* stage : {"domain reduce-scatter", "rail all-reduce", "domain all-gather"}) {
    const auto at = r.output.find(std::string(stage) + " ");
    ASSERT_NE(at, std::string::npos) << stage << "\n" << r.output;
    const auto line = r.output.substr(at, r.output.find('\n', at) - at);
    EXPECT_NE(line.find(" us measured "), std::string::npos) << line;
    EXPECT_NE(line.find(" us model "), std::string::npos) << line;
  }

  std::ifstream in(json_path);
  const auto j = nlohmann::json::parse(in);
  std::filesystem::remove(json_path);
  const auto& st = j.at("startup");
  // Rank 0 has every line only after every rank connected; the clocks are the same machine's.
  EXPECT_GE(st.at("gathered_s").get<double>(), st.at("connected_s").get<double>());
  EXPECT_GE(st.at("connected_s").get<double>(), st.at("start_spread_s").get<double>());
  EXPECT_LT(st.at("last_started").get<int>(), 4);
  // The launcher made every agent's port before the first agent started: no dial was refused.
  EXPECT_EQ(st.at("redialled").get<int>(), 0) << st;
  const auto& stages = j.at("rows").at(0).at("stages");
  ASSERT_EQ(stages.size(), 3u);
  EXPECT_EQ(stages[1].at("name"), "rail all-reduce");
  for (const auto& s : stages) EXPECT_GT(s.at("time_us").get<double>(), 0) << s;
}
