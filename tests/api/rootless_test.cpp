// The API in a rootless session: enter_rootless_session() in a child process (it is for the rest
// of the process), then a cluster up, run and down through the same Cluster calls, with nothing
// written to the host's /run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "scalelab/cluster.h"
#include "scalelab/rootless.h"

namespace scalelab {
namespace {

// The session outlives the child that entered it (its holder keeps the namespaces); the test
// started it, so the test ends it, by the pid its record names.
void end_session_holder(const std::string& xdg) {
  std::ifstream in(xdg + "/scalelab/holder.json");
  const auto record = nlohmann::json::parse(in, nullptr, false);
  if (!record.is_object()) return;
  const int holder = record.value("pid", 0);
  if (holder <= 0 || ::kill(holder, SIGTERM) != 0) return;
  for (int i = 0; i < 100 && ::kill(holder, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

int child_tour(const std::string& xdg) {
  setenv("XDG_RUNTIME_DIR", xdg.c_str(), 1);
  auto info = enter_rootless_session();
  if (!in_rootless_session() || info.state_dir != xdg + "/scalelab") return 2;
  UpOptions options;
  options.name = "aprl-" + std::to_string(getpid() % 100000);
  auto c = Cluster::up(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json", options);
  if (std::filesystem::exists("/run/scalelab/" + c.name())) return 3;
  if (!std::filesystem::exists(xdg + "/scalelab/clusters/" + c.name())) return 4;
  if (c.status()["cluster"] != c.name()) return 5;
  auto job = c.run({"sh", "-c", "exit $(( RANK == 1 ? 3 : 0 ))"});
  auto result = job.wait(std::chrono::seconds(30));
  if (result.failed_ranks() != std::vector<int>{1}) return 6;
  c.down();
  if (std::filesystem::exists(xdg + "/scalelab/clusters/" + c.name())) return 7;
  return 0;
}

TEST(ApiRootless, AClusterComesUpRunsAndGoesDownInTheSession) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root here only to share the build tree's agent; the unprivileged tour is rootless.tour";
  const std::string xdg = std::filesystem::temp_directory_path() / ("aprl-xdg-" + std::to_string(getpid()));
  std::filesystem::create_directories(xdg);
  pid_t pid = fork();
  if (pid == 0) {
    int code = 9;
    try {
      code = child_tour(xdg);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rootless child: %s\n", e.what());
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  end_session_holder(xdg);
  std::filesystem::remove_all(xdg);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2 not in the session, 3 wrote /run/scalelab, 4 no state under XDG_RUNTIME_DIR, "
                                       "5 status, 6 failed ranks, 7 down left state, 9 threw";
}

}  // namespace
}  // namespace scalelab
