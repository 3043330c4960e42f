// The API in a rootless session: enter_rootless_session() in a child process (it is for the rest
// of the process), then a cluster up, run and down through the same Cluster calls, with nothing
// written to the host's /run.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "scalelab/cluster.h"
#include "scalelab/rootless.h"

namespace scalelab {
namespace {

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
  std::filesystem::remove_all(xdg);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "2 not in the session, 3 wrote /run/scalelab, 4 no state under XDG_RUNTIME_DIR, "
                                       "5 status, 6 failed ranks, 7 down left state, 9 threw";
}

}  // namespace
}  // namespace scalelab
