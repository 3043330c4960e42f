// up/down/clean as a user drives them: refusals, side-by-side clusters, failed bring-ups that
// unwind, and `kill -9` of `up` at random instants that `down` and `clean` recover from.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <thread>

#include "cluster_fixture.h"
#include "emulator/model/topology_json.h"
#include "emulator/netlink/netns.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/realize.h"
#include "emulator/runtime/teardown.h"

using namespace scalelab;

namespace {

bool cluster_dir_exists(const std::string& cluster) {
  struct stat st;
  return stat((locations::state_root() + "/" + cluster).c_str(), &st) == 0;
}

// A copy of a shipped topology under a fresh name, as a file the CLI can read.
std::string write_renamed_topology(const std::string& shipped, const std::string& name) {
  auto topology = fixtures::shipped_topology(shipped);
  topology.name = name;
  std::string path = "/tmp/" + name + ".json";
  std::ofstream(path) << model::topology_to_json(topology).dump(2);
  return path;
}

void expect_nothing_left(const std::string& cluster) {
  EXPECT_TRUE(fixtures::namespaces_of(cluster).empty()) << cluster << " left namespaces behind";
  EXPECT_FALSE(cluster_dir_exists(cluster)) << cluster << " left its journal directory behind";
}

pid_t spawn_scalelab(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv{const_cast<char*>(SCALELAB_BINARY)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

TEST(Lifecycle, DownRemovesEverythingAndTouchesNothingOnTheHost) {
  SCALELAB_REQUIRE_ROOT();
  auto host_before = fixtures::host_interfaces();
  auto topology = fixtures::shipped_topology("h100x2.json");
  topology.name = fixtures::unique_cluster_name("down");
  auto plan = plan::build_plan(topology);
  runtime::realize(plan, {});
  EXPECT_EQ(fixtures::namespaces_of(plan.cluster).size(), plan.namespaces.size());
  EXPECT_EQ(fixtures::host_interfaces(), host_before) << "up must not create anything in the host namespace";

  auto report = runtime::down(plan.cluster);
  EXPECT_TRUE(report.cluster_found);
  EXPECT_EQ(report.removed_namespaces.size(), plan.namespaces.size());
  expect_nothing_left(plan.cluster);
  EXPECT_EQ(fixtures::host_interfaces(), host_before);
  EXPECT_FALSE(runtime::down(plan.cluster).cluster_found) << "a second down is a no-op";
}

TEST(Lifecycle, SecondUpOfTheSameNameIsRefusedClearly) {
  SCALELAB_REQUIRE_ROOT();
  std::string name = fixtures::unique_cluster_name("twice");
  auto file = write_renamed_topology("tiny.json", name);
  auto first = fixtures::run_scalelab({"up", file});
  ASSERT_EQ(first.status, 0) << first.output;
  auto second = fixtures::run_scalelab({"up", file});
  EXPECT_EQ(second.status, 1);
  EXPECT_NE(second.output.find("already exists"), std::string::npos) << second.output;
  EXPECT_NE(second.output.find("scalelab down " + name), std::string::npos) << second.output;
  EXPECT_EQ(fixtures::namespaces_of(name).size(), 9u) << "the refused up must not disturb the running cluster";
  EXPECT_EQ(fixtures::run_scalelab({"down", name}).status, 0);
  expect_nothing_left(name);
}

TEST(Lifecycle, TwoClustersRunSideBySide) {
  SCALELAB_REQUIRE_ROOT();
  std::optional<fixtures::LiveCluster> a(std::in_place, fixtures::shipped_topology("tiny.json"));
  fixtures::LiveCluster b(fixtures::shipped_topology("tiny.json"));
  // Same address plan, separate namespaces: each pings its own gpu3.
  for (const auto* c : {&*a, &b}) {
    auto r = fixtures::run_scalelab({"exec", c->name() + "/gpu0", "--", "ping", "-c", "1", "-W", "2", c->address("gpu3", "nic0")});
    EXPECT_EQ(r.status, 0) << r.output;
  }
  std::string a_name = a->name();
  a.reset();  // down a
  expect_nothing_left(a_name);
  EXPECT_EQ(fixtures::namespaces_of(b.name()).size(), 9u);
  auto r = fixtures::run_scalelab({"exec", b.name() + "/gpu0", "--", "ping", "-c", "1", "-W", "2", b.address("gpu3", "nic0")});
  EXPECT_EQ(r.status, 0) << "b must survive a's down:\n" << r.output;
}

TEST(Lifecycle, MalformedTopologyCreatesNothing) {
  SCALELAB_REQUIRE_ROOT();
  std::string path = "/tmp/scalelab-bad-" + std::to_string(getpid()) + ".json";
  std::ofstream(path) << R"({"name": "badtopo", "cluster": {"hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "400G", "rails": 2}}})";
  auto r = fixtures::run_scalelab({"up", path});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.output.find(path), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("/cluster/scale_out/nic_bandwidth"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("nothing was created"), std::string::npos) << r.output;
  expect_nothing_left("badtopo");
}

TEST(Lifecycle, FailedBringUpUnwindsWhatItCreated) {
  SCALELAB_REQUIRE_ROOT();
  auto topology = fixtures::shipped_topology("tiny.json");
  topology.name = fixtures::unique_cluster_name("unwind");
  auto plan = plan::build_plan(topology);
  // Someone else's namespace sits where gpu3's must go: creating it fails half-way.
  auto squatter = nl::NamedNetns::create(plan.find("gpu3")->netns);
  EXPECT_THROW(runtime::realize(plan, {}), std::exception);
  auto left = fixtures::namespaces_of(plan.cluster);
  EXPECT_EQ(left, std::vector<std::string>{plan.find("gpu3")->netns}) << "only the squatter may remain";
  EXPECT_FALSE(cluster_dir_exists(plan.cluster));
}

TEST(Lifecycle, KillNineOfUpAtRandomInstantsIsAlwaysRecoverable) {
  SCALELAB_REQUIRE_ROOT();
  std::string name = fixtures::unique_cluster_name("kill");
  auto file = write_renamed_topology("h100x2.json", name);

  // How long a whole bring-up takes here, to spread the kills across it.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(fixtures::run_scalelab({"up", file}).status, 0);
  auto full_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(fixtures::run_scalelab({"down", name}).status, 0);

  unsigned seed = std::random_device{}();
  RecordProperty("seed", std::to_string(seed));
  std::mt19937 rng(seed);
  std::uniform_int_distribution<long> delay_us(0, full_us);
  constexpr int kRounds = 24;
  // `clean` sweeps every cluster on the machine: with someone else's already up, only `down`.
  const bool others_up = !runtime::ClusterDir::list().empty() || !nl::list_named_netns("sl-").empty();
  if (others_up) std::cout << "NOTE: other clusters are up on this machine: `clean` is not tried, only `down`\n";
  for (int round = 0; round < kRounds; ++round) {
    long delay = delay_us(rng);
    pid_t pid = spawn_scalelab({"up", file});
    std::this_thread::sleep_for(std::chrono::microseconds(delay));
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    // Alternate the two ways out.
    const bool use_clean = round % 2 == 1 && !others_up;
    auto r = use_clean ? fixtures::run_scalelab({"clean"}) : fixtures::run_scalelab({"down", name});
    EXPECT_EQ(r.status, 0) << r.output;
    ASSERT_TRUE(fixtures::namespaces_of(name).empty()) << "round " << round << " (kill after " << delay << " us, seed " << seed << ")";
    ASSERT_FALSE(cluster_dir_exists(name)) << "round " << round << " (seed " << seed << ")";
    ASSERT_TRUE(nl::list_named_netns("sl-").empty() || !use_clean) << "clean must sweep every sl- namespace";
  }
}
