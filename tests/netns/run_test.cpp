// `scalelab run`: one process per GPU inside its namespace, torchrun-style environment,
// prefixed output, and the first failure ends the rest.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "cluster_fixture.h"

using namespace scalelab;

TEST(Run, EveryRankRunsInItsOwnNamespaceWithItsEnvironment) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--", "sh", "-c",
                                   "echo \"$RANK/$WORLD_SIZE $LOCAL_RANK/$LOCAL_WORLD_SIZE $(ip -4 -o addr show dev nic0 | awk '{print $4}')\""});
  ASSERT_EQ(r.status, 0) << r.output;
  for (int rank = 0; rank < 4; ++rank) {
    std::string address = cluster.address("gpu" + std::to_string(rank), "nic0");
    std::string expected = "[rank " + std::to_string(rank) + " gpu" + std::to_string(rank) + "] " + std::to_string(rank) + "/4 " +
                           std::to_string(rank % 2) + "/2 " + address;
    EXPECT_NE(r.output.find(expected), std::string::npos) << "missing: " << expected << "\n" << r.output;
  }
}

TEST(Run, EveryRankSeesItsOwnNamespacesSysfs) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  // rxe GIDs and rps_cpus are read from sysfs, which shows the namespace that mounted it.
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--", "sh", "-c",
                                   "[ -e /sys/class/net/nic0 ] && echo \"sysfs $(ls /sys/class/net | tr '\\n' ' ')\""});
  ASSERT_EQ(r.status, 0) << r.output;
  for (int rank = 0; rank < 4; ++rank) {
    const std::string node = "gpu" + std::to_string(rank);
    EXPECT_NE(r.output.find("[rank " + std::to_string(rank) + " " + node + "] sysfs "), std::string::npos) << r.output;
  }
  for (const auto& host_iface : std::filesystem::directory_iterator("/sys/class/net")) {
    const std::string name = host_iface.path().filename();
    if (name == "lo") continue;
    EXPECT_EQ(r.output.find(" " + name + " "), std::string::npos) << "a rank saw the host's " << name << ": " << r.output;
  }
}

TEST(Run, ANodeOfAClusterThatIsGoneEndsWithANamedError) {
  SCALELAB_REQUIRE_ROOT();
  auto r = fixtures::run_scalelab({"run", "no-such-cluster", "--", "true"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.output.find("no cluster named \"no-such-cluster\""), std::string::npos) << r.output;
}

TEST(Run, OneFailingRankEndsTheOthersAndSetsTheExitStatus) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  auto started = std::chrono::steady_clock::now();
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--", "sh", "-c", "[ $RANK = 2 ] && exit 7; exec sleep 30"});
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_EQ(r.status, 7) << r.output;
  EXPECT_NE(r.output.find("rank 2 gpu2 exited with status 7"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("other 3 running ranks were stopped"), std::string::npos) << r.output;
}
