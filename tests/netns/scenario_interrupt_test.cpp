// A drill interrupted by SIGTERM or SIGINT ends cleanly: exit 130, no cluster, no agent left.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cluster_fixture.h"
#include "emulator/netlink/netns.h"
#include "emulator/runtime/cluster_dir.h"

using namespace scalelab;

namespace {

int count_agents() {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (comm >> name && name == "scalelab-agent") n++;
  }
  return n;
}

void interrupt_drill_with(int sig) {
  std::string name = fixtures::unique_cluster_name("intr");
  std::string file = "/tmp/" + name + ".json";
  std::ofstream(file) << R"({"name": ")" << name << R"(", "topology": ")" << SCALELAB_SOURCE_DIR
                      << R"(/topologies/tiny.json", "workload": {"collective": "all_reduce", "size": "1M", "duration": "30s"},
                            "steps": [], "expect": [{"completes": {}}]})";
  pid_t pid = fork();
  if (pid == 0) {
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execl(SCALELAB_BINARY, SCALELAB_BINARY, "run-scenario", file.c_str(), "--name", name.c_str(), "--report", ("/tmp/" + name).c_str(), nullptr);
    _exit(127);
  }
  // Let the cluster come up and the agents start.
  for (int i = 0; i < 100 && count_agents() < 4; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_GE(count_agents(), 4) << "the drill's agents never started";
  kill(pid, sig);
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 130) << "status " << status;
  EXPECT_EQ(count_agents(), 0) << "agents left behind";
  EXPECT_TRUE(fixtures::namespaces_of(name).empty()) << "namespaces left behind";
  EXPECT_FALSE(runtime::ClusterDir::open(name).has_value());
}

}  // namespace

TEST(ScenarioInterrupt, SigtermRemovesClusterAndAgents) {
  SCALELAB_REQUIRE_ROOT();
  interrupt_drill_with(SIGTERM);
}

TEST(ScenarioInterrupt, SigintRemovesClusterAndAgents) {
  SCALELAB_REQUIRE_ROOT();
  interrupt_drill_with(SIGINT);
}
