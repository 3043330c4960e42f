// Root + this kernel: the --json forms python/scalelab reads — up --name, run, inject, down.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_test_util.h"

using scalelab::cli_tests::run_cli;
using scalelab::cli_tests::unique_name;

namespace {

const std::string kTiny = std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json";

// Up under a name of its own; down (by that name only) at the end of the test.
class NamedCluster {
 public:
  NamedCluster() : name_(unique_name()) {
    auto up = run_cli({"up", kTiny, "--name", name_, "--json"});
    EXPECT_EQ(up.status, 0) << up.err;
    report_ = nlohmann::json::parse(up.out);
  }
  ~NamedCluster() { run_cli({"down", name_}); }
  const std::string& name() const { return name_; }
  const nlohmann::json& report() const { return report_; }

 private:
  std::string name_;
  nlohmann::json report_;
};

}  // namespace

#define REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces"

TEST(CliJson, UpTakesANameAndDownReportsWhatItRemoved) {
  REQUIRE_ROOT();
  const std::string name = unique_name();
  auto up = run_cli({"up", kTiny, "--name", name, "--json"});
  ASSERT_EQ(up.status, 0) << up.err;
  auto report = nlohmann::json::parse(up.out);
  EXPECT_EQ(report["cluster"], name);
  EXPECT_EQ(report["namespaces"], 9);
  auto down = run_cli({"down", name, "--json"});
  ASSERT_EQ(down.status, 0) << down.err;
  auto d = nlohmann::json::parse(down.out);
  EXPECT_EQ(d["cluster"], name);
  EXPECT_EQ(d["found"], true);
  EXPECT_EQ(d["namespaces_removed"], 9);
  auto again = nlohmann::json::parse(run_cli({"down", name, "--json"}).out);
  EXPECT_EQ(again["found"], false);
}

TEST(CliJson, UpRefusesABadNameAsATopologyError) {
  REQUIRE_ROOT();
  auto up = run_cli({"up", kTiny, "--name", "Bad_Name", "--json"}, {"SCALELAB_ERRORS=json"});
  EXPECT_EQ(up.status, 1);
  auto e = nlohmann::json::parse(up.err)["error"];
  EXPECT_EQ(e["kind"], "topology");
  EXPECT_EQ(e["pointer"], "/name");
}

TEST(CliJson, RunGivesEveryRanksStatusAndOutput) {
  REQUIRE_ROOT();
  NamedCluster c;
  auto r = run_cli({"run", c.name(), "--json", "--", "sh", "-c", "echo r$RANK; [ $RANK = 2 ] && { sleep 0.5; exit 7; }; exit 0"});
  EXPECT_EQ(r.status, 7) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["ranks"].size(), 4u) << r.out;
  for (int rank = 0; rank < 4; ++rank) {
    const auto& rr = j["ranks"][rank];
    EXPECT_EQ(rr["rank"], rank);
    EXPECT_EQ(rr["node"], "gpu" + std::to_string(rank));
    EXPECT_EQ(rr["status"], rank == 2 ? 7 : 0);
    EXPECT_EQ(rr["stopped"], false);
    EXPECT_EQ(rr["output"], nlohmann::json::array({"r" + std::to_string(rank)}));
  }
  EXPECT_EQ(j["failed_ranks"], nlohmann::json::array({2}));
  EXPECT_EQ(j["first_failure"], 2);
  EXPECT_EQ(j["ok"], false);
  auto ok = run_cli({"run", c.name(), "--json", "--", "true"});
  EXPECT_EQ(ok.status, 0);
  EXPECT_EQ(nlohmann::json::parse(ok.out)["ok"], true);
  auto late = nlohmann::json::parse(run_cli({"run", c.name(), "--json", "--timeout", "0.5", "--", "sleep", "30"}).out);
  EXPECT_EQ(late["timed_out"], true);
  EXPECT_EQ(late["stopped_ranks"], nlohmann::json::array({0, 1, 2, 3}));
}

TEST(CliJson, InjectSaysWhatChanged) {
  REQUIRE_ROOT();
  NamedCluster c;
  auto r = run_cli({"inject", c.name(), "link_down", "rail:1", "--json"});
  ASSERT_EQ(r.status, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["action"], "link_down");
  EXPECT_NE(std::find(j["links"].begin(), j["links"].end(), "gpu1-leaf1"), j["links"].end()) << r.out;
  EXPECT_TRUE(j["rerouted"].is_null() || j["rerouted"].is_number());
  auto bad = run_cli({"inject", c.name(), "link_down", "rail:9", "--json"}, {"SCALELAB_ERRORS=json"});
  EXPECT_EQ(bad.status, 1);
  EXPECT_EQ(nlohmann::json::parse(bad.err)["error"]["kind"], "fault");
}
