#include "emulator/runtime/straggler_cgroups.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "emulator/locations/locations.h"

namespace scalelab::runtime {
namespace {
namespace fs = std::filesystem;

TEST(StragglerCgroups, AreNamedAfterTheClusterAndRank) {
  EXPECT_EQ(straggler_cgroup_name("tiny", 3), "tiny-rank3");
  EXPECT_EQ(straggler_cgroup_parents(), (std::vector<std::string>{kStragglerCgroupV1, kStragglerCgroupV2}));
}

// Rootless, the sweep looks only in the delegated cgroup, and only at the cluster's own groups
// (plain directories stand in for cgroupfs here: both are removed with rmdir). In a child: the
// rootless switch is for the rest of the process.
TEST(StragglerCgroups, DownSweepsOnlyItsClustersGroupsInTheDelegatedCgroup) {
  const fs::path base = fs::temp_directory_path() / ("straggler-cgroups-" + std::to_string(getpid()));
  for (const char* d : {"a-rank1", "a-rank2", "ab-rank1", "b-rank0", "a-other"}) fs::create_directories(base / d);
  pid_t pid = fork();
  if (pid == 0) {
    setenv("SCALELAB_CGROUP", base.c_str(), 1);
    locations::use_rootless_base("/tmp/unused");
    if (straggler_cgroup_parents() != std::vector<std::string>{base.string()}) _exit(2);
    _exit(remove_straggler_cgroups("a") == 2 ? 0 : 3);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(fs::exists(base / "a-rank1"));
  EXPECT_FALSE(fs::exists(base / "a-rank2"));
  EXPECT_TRUE(fs::exists(base / "ab-rank1"));
  EXPECT_TRUE(fs::exists(base / "b-rank0"));
  EXPECT_TRUE(fs::exists(base / "a-other"));
  fs::remove_all(base);
}

}  // namespace
}  // namespace scalelab::runtime
