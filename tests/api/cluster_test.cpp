// Cluster through the public API on real namespaces: up/down RAII, status, exec, run, inject, bench.
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include "api_fixture.h"

namespace scalelab::api_tests {
namespace {

bool netns_exists(const std::string& cluster, const std::string& node) {
  return std::filesystem::exists("/run/netns/sl-" + cluster + "-" + node);
}

std::string link_state(const nlohmann::json& status, const std::string& node, const std::string& ifname) {
  for (const auto& n : status["nodes"])
    if (n["node"] == node)
      for (const auto& i : n["interfaces"])
        if (i["ifname"] == ifname) return i.value("up", false) && i.value("carrier", false) ? "up" : "down";
  return "missing";
}

nlohmann::json interface_of(const nlohmann::json& status, const std::string& node, const std::string& ifname) {
  for (const auto& n : status["nodes"])
    if (n["node"] == node)
      for (const auto& i : n["interfaces"])
        if (i["ifname"] == ifname) return i;
  return nullptr;
}

TEST_F(ApiTest, UpReportsAndStatusReadsTheKernel) {
  auto& c = cluster(tiny());
  EXPECT_EQ(c.name().rfind("ap-", 0), 0u) << c.name();
  EXPECT_TRUE(c.owned());
  EXPECT_EQ(c.report().gpus, 4u);
  EXPECT_EQ(c.report().namespaces, 9u);
  EXPECT_EQ(c.gpu_nodes(), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3"}));
  auto s = c.status();
  EXPECT_EQ(s["cluster"], c.name());
  EXPECT_EQ(link_state(s, "gpu1", "nic0"), "up") << s.dump(1);
  EXPECT_NE(c.status_text().find("gpu3"), std::string::npos);
  bool listed = false;
  for (const auto& entry : scalelab::clusters()) listed |= entry["cluster"] == c.name();
  EXPECT_TRUE(listed);
}

TEST(ApiCluster, DestructorTakesItDownAndASecondUpIsClusterExists) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string name = "ap-raii-" + std::to_string(getpid());
  {
    auto c = Cluster::up(tiny(), {.name = name});
    EXPECT_TRUE(netns_exists(name, "gpu0"));
    EXPECT_THROW(Cluster::up(tiny(), {.name = name}), ClusterExists);
  }
  EXPECT_FALSE(netns_exists(name, "gpu0"));
  EXPECT_FALSE(std::filesystem::exists("/run/scalelab/" + name));
  EXPECT_FALSE(down(name).found);
}

TEST(ApiCluster, BeforeCreateSeesThePlanAndWhatItThrowsLeavesNothingCreated) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  const std::string name = "ap-hook-" + std::to_string(getpid());
  struct Refused {};
  std::vector<int> domains;
  UpOptions options{.name = name};
  options.before_create = [&](const PlanSummary& p) {
    domains = p.gpu_domains;
    throw Refused{};
  };
  EXPECT_THROW(Cluster::up(tiny(), options), Refused);
  EXPECT_EQ(domains, (std::vector<int>{0, 0, 1, 1}));
  EXPECT_FALSE(netns_exists(name, "gpu0"));
  EXPECT_FALSE(std::filesystem::exists("/run/scalelab/" + name));
}

TEST_F(ApiTest, ExecRunsInsideTheNodesNamespace) {
  auto& c = cluster(tiny());
  auto r = c.exec("gpu2", {"ip", "-br", "link", "show", "nic0"});
  EXPECT_EQ(r.status, 0);
  ASSERT_FALSE(r.output.empty());
  EXPECT_EQ(r.output[0].rfind("nic0", 0), 0u) << r.output[0];
  EXPECT_THROW(c.exec("gpu9", {"true"}), NotFound);
  EXPECT_EQ(c.exec("gpu0", {"sh", "-c", "exit 5"}).status, 5);
}

TEST_F(ApiTest, RunAndExecGiveEachNodeItsIdentity) {
  auto& c = cluster(tiny());
  EXPECT_EQ(c.exec("gpu2", {"hostname"}).output, std::vector<std::string>{"gpu2"});
  auto job = c.run({"sh", "-c", "echo $(hostname) $(getent hosts gpu0 | cut -d' ' -f1)"});
  const auto& r = job.wait(std::chrono::seconds(30));
  ASSERT_TRUE(r.ok());
  const auto gpu0 = c.exec("gpu0", {"sh", "-c", "ip -4 -o addr show nic0 | awk '{print $4}' | cut -d/ -f1"}).output;
  ASSERT_EQ(gpu0.size(), 1u);
  for (const auto& rank : r.ranks) EXPECT_EQ(rank.output, std::vector<std::string>{rank.node + " " + gpu0[0]});
}

TEST_F(ApiTest, RunGivesPerRankStatusAndStopsTheOthers) {
  auto& c = cluster(tiny());
  auto ok = c.run({"sh", "-c", "echo rank=$RANK world=$WORLD_SIZE"});
  const auto& okr = ok.wait(std::chrono::seconds(30));
  EXPECT_TRUE(okr.ok());
  ASSERT_EQ(okr.ranks.size(), 4u);
  EXPECT_EQ(okr.ranks[2].output, (std::vector<std::string>{"rank=2 world=4"}));

  auto job = c.run({"sh", "-c", "[ $RANK = 1 ] && exit 3; exec sleep 30"});
  const auto& r = job.wait(std::chrono::seconds(20));
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.failed_ranks(), std::vector<int>{1});
  EXPECT_EQ(r.stopped_ranks(), (std::vector<int>{0, 2, 3}));
  EXPECT_EQ(r.first_failure()->status, 3);
}

TEST_F(ApiTest, KillAndTimeoutEndEveryRank) {
  auto& c = cluster(tiny());
  auto job = c.run({"sleep", "30"});
  auto started = std::chrono::steady_clock::now();
  const auto& r = job.kill();
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
  EXPECT_EQ(r.stopped_ranks().size(), 4u);
  auto late = c.run({"sleep", "30"});
  EXPECT_TRUE(late.wait(std::chrono::milliseconds(300)).timed_out);
}

TEST_F(ApiTest, SignalFromAnotherThreadReachesEveryRankWhileWaiting) {
  auto& c = cluster(tiny());
  auto job = c.run({"sleep", "30"}, {.stop_on_failure = false});
  std::thread signaller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    job.signal(SIGTERM);
  });
  const auto& r = job.wait(std::chrono::seconds(20));
  signaller.join();
  EXPECT_FALSE(r.timed_out);
  ASSERT_EQ(r.ranks.size(), 4u);
  for (const auto& rank : r.ranks) {
    EXPECT_EQ(rank.status, 128 + SIGTERM) << rank.label;
    EXPECT_FALSE(rank.stopped) << rank.label << ": the signal ended it, not the job";
  }
}

TEST_F(ApiTest, InjectLinkDownThenRestoreAndBadTargetIsFaultError) {
  auto& c = cluster(tiny());
  auto report = c.inject(link_down("gpu1:nic0"));
  EXPECT_EQ(report.links, std::vector<std::string>{"gpu1-leaf1"});
  ASSERT_TRUE(report.rerouted.has_value());
  EXPECT_EQ(link_state(c.status(), "gpu1", "nic0"), "down");
  c.inject(link_up("gpu1:nic0"));
  EXPECT_EQ(link_state(c.status(), "gpu1", "nic0"), "up");
  auto d = c.inject(degrade("gpu1:nic0", {.rate = "100Gb/s"}));
  ASSERT_TRUE(d.rate_bps.has_value());
  EXPECT_EQ(*d.rate_bps, 100'000'000u);  // 100 Gb/s at dilation 1000
  // status reads the rate from the kernel's htb class, the plan's beside it.
  auto degraded = interface_of(c.status(), "gpu1", "nic0");
  EXPECT_EQ(degraded["rate_bps"], 100'000'000u) << degraded;
  EXPECT_EQ(degraded["planned_rate_bps"], 400'000'000u) << degraded;
  EXPECT_EQ(c.restore("gpu1:nic0").links.size(), 1u);
  EXPECT_EQ(interface_of(c.status(), "gpu1", "nic0")["rate_bps"], 400'000'000u);
  EXPECT_THROW(c.inject(link_down("rail:7")), FaultError);
  EXPECT_THROW(c.inject(degrade("rail:0", {.rate = "100G"})), FaultError);
}

TEST_F(ApiTest, BenchReturnsRowsAsStructs) {
  auto& c = cluster(tiny());
  auto r = c.bench({.collective = "all_reduce", .args = {"-b", "64K", "-e", "256K", "-f", "4", "-n", "2", "-w", "1"}, .timeout = std::chrono::seconds(120)});
  ASSERT_EQ(r.rows.size(), 2u);
  EXPECT_EQ(r.rows[0].size, 64u * 1024);
  EXPECT_EQ(r.rows[1].size, 256u * 1024);
  for (const auto& row : r.rows) {
    EXPECT_GT(row.busbw_GBps, 0);
    ASSERT_TRUE(row.wrong.has_value());
    EXPECT_EQ(*row.wrong, 0);
    EXPECT_NEAR(row.projected_busbw_GBps, row.busbw_GBps * 1000, 1e-6 * row.projected_busbw_GBps);
  }
  EXPECT_EQ(r.transport_scale_out, "tcp");
  EXPECT_FALSE(r.output.empty());
}

TEST_F(ApiTest, BenchFailureIsABenchErrorWithEveryRanksResult) {
  auto& c = cluster(tiny());
  try {
    c.bench({.args = {"-b", "1K", "-e", "1K", "--transport", "nosuch"}, .timeout = std::chrono::seconds(60)});
    FAIL() << "an unknown transport was accepted";
  } catch (const BenchError& e) {
    EXPECT_NE(std::string(e.what()).find("failed (exit 2)"), std::string::npos) << e.what();
    ASSERT_EQ(e.result().ranks.size(), 4u);
    EXPECT_FALSE(e.result().failed_ranks().empty());
    const auto* first = e.result().first_failure();
    ASSERT_NE(first, nullptr);
    ASSERT_FALSE(first->output.empty());
    EXPECT_NE(first->output.back().find("unknown transport"), std::string::npos) << first->output.back();
  }
}

}  // namespace
}  // namespace scalelab::api_tests
