#include "emulator/locations/locations.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

namespace scalelab::locations {
namespace {

// Switching is for the rest of the process, so each case that switches runs in a child.
template <typename Body>
int in_child(Body body) {
  pid_t pid = fork();
  if (pid == 0) _exit(body() ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

TEST(Locations, RootUsesTheSystemPlaces) {
  EXPECT_FALSE(rootless());
  EXPECT_EQ(netns_dir(), "/run/netns");
  EXPECT_EQ(state_root(), "/run/scalelab");
  EXPECT_EQ(capacity_file(), "/var/lib/scalelab/capacity.json");
}

TEST(Locations, RootlessKeepsEverythingUnderOneBase) {
  EXPECT_EQ(in_child([] {
              use_rootless_base("/tmp/x/scalelab");
              return rootless() && netns_dir() == "/tmp/x/scalelab/netns" && state_root() == "/tmp/x/scalelab/clusters" &&
                     capacity_file() == "/tmp/x/scalelab/capacity.json";
            }),
            0);
}

TEST(Locations, DefaultBaseFollowsXdgRuntimeDir) {
  EXPECT_EQ(in_child([] {
              setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
              return default_rootless_base() == "/run/user/4242/scalelab";
            }),
            0);
  EXPECT_EQ(in_child([] {
              unsetenv("XDG_RUNTIME_DIR");
              return default_rootless_base() == "/tmp/scalelab-" + std::to_string(getuid());
            }),
            0);
}

}  // namespace
}  // namespace scalelab::locations
