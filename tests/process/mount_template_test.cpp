// MountTemplate against the real kernel (root): the template has no namespace bind mounts, this
// process keeps its own, and a member launched into a node copies the template (fewer mounts,
// the same working directory, the node's own sysfs).
#include "emulator/process/mount_template.h"

#include <unistd.h>

#include <fstream>
#include <mutex>
#include <string>

#include "emulator/process/process_group.h"
#include "netlink_test_support.h"

using namespace scalelab;

namespace {

int mount_count(const std::string& mountinfo) {
  std::ifstream in(mountinfo);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace

TEST(MountTemplate, DropsTheNetnsMountsAndLeavesOursAlone) {
  SL_REQUIRE_ROOT();
  auto ns = nl::NamedNetns::create(test::unique_netns_name("mt"));
  const int ours = mount_count("/proc/self/mountinfo");
  process::MountTemplate tpl;
  ASSERT_TRUE(tpl.valid()) << tpl.reason();
  EXPECT_GE(tpl.mounts_detached(), 1);
  EXPECT_EQ(mount_count("/proc/self/mountinfo"), ours);  // this process's namespace is untouched
  EXPECT_EQ(::access((locations::netns_dir() + "/" + ns.name()).c_str(), F_OK), 0);
}

TEST(MountTemplate, AMemberCopiesItAndKeepsTheWorkingDirectory) {
  SL_REQUIRE_ROOT();
  auto ns = nl::NamedNetns::create(test::unique_netns_name("mt"));
  std::mutex mu;
  std::vector<std::string> lines;
  process::ProcessGroup group("", [&](std::size_t, const std::string&, const std::string& line) {
    std::lock_guard lk(mu);
    lines.push_back(line);
  });
  // A nsfs mount would show as "nsfs" in the member's mountinfo; sysfs is its namespace's own.
  group.launch({"m", ns.name(), {"sh", "-c", "pwd; grep -c ' - nsfs ' /proc/self/mountinfo; ls /sys/class/net"}, {}});
  const auto result = group.wait(std::chrono::steady_clock::now() + std::chrono::seconds(20), true);
  ASSERT_TRUE(result.all_succeeded());
  char cwd[4096];
  ASSERT_NE(::getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_GE(lines.size(), 3u);
  EXPECT_EQ(lines[0], cwd);
  EXPECT_EQ(lines[1], "0");
  EXPECT_EQ(lines[2], "lo");  // a fresh namespace has lo alone
}
