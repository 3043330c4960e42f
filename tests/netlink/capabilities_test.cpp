#include "emulator/netlink/capabilities.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <algorithm>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

std::set<std::string> run_netns_entries() {
  std::set<std::string> names;
  if (DIR* d = opendir(locations::netns_dir().c_str())) {
    while (dirent* e = readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.insert(e->d_name);
    closedir(d);
  }
  return names;
}

TEST(KernelAtLeast, ComparesMajorThenMinor) {
  EXPECT_TRUE(kernel_at_least("7.2.13-amd64", 7, 1));
  EXPECT_TRUE(kernel_at_least("7.2.13-amd64", 7, 2));
  EXPECT_FALSE(kernel_at_least("7.2.13-amd64", 7, 3));
  EXPECT_FALSE(kernel_at_least("7.2.13-amd64", 8, 0));
  EXPECT_TRUE(kernel_at_least("7.2.13-amd64", 6, 9));
  EXPECT_TRUE(kernel_at_least("8.0.0", 7, 1));
  EXPECT_TRUE(kernel_at_least("10.0", 7, 1)) << "numeric, not lexicographic";
  EXPECT_FALSE(kernel_at_least("6.18.44-fc-v669", 7, 1));
  EXPECT_TRUE(kernel_at_least("6.18.44-fc-v669", 6, 18));
  EXPECT_FALSE(kernel_at_least("6.9.1", 6, 10)) << "minor 9 < 10 numerically";
  EXPECT_TRUE(kernel_at_least("7.1", 7, 1));
  EXPECT_FALSE(kernel_at_least("7.0", 7, 1));
}

TEST(KernelAtLeast, UnparsableReleaseIsFalse) {
  EXPECT_FALSE(kernel_at_least("", 1, 0));
  EXPECT_FALSE(kernel_at_least("garbage", 1, 0));
  EXPECT_FALSE(kernel_at_least("v7.2", 1, 0));
}

TEST(KernelCapabilities, FindAndHas) {
  KernelCapabilities caps;
  caps.items.push_back({"netns", true, "ok", true});
  caps.items.push_back({"netem", false, "no sch_netem", false});
  ASSERT_NE(caps.find("netns"), nullptr);
  EXPECT_EQ(caps.find("netns")->detail, "ok");
  ASSERT_NE(caps.find("netem"), nullptr);
  EXPECT_FALSE(caps.find("netem")->available);
  EXPECT_EQ(caps.find("rxe-in-netns"), nullptr);
  EXPECT_TRUE(caps.has("netns"));
  EXPECT_FALSE(caps.has("netem")) << "present but unavailable";
  EXPECT_FALSE(caps.has("rxe-in-netns")) << "absent";
}

class ProbeKernelCapabilitiesTest : public test::NetnsTest {};

TEST_F(ProbeKernelCapabilitiesTest, ReportsEveryFeatureAndLeavesNothingBehind) {
  const auto netns_before = run_netns_entries();
  const auto host_links_before = test::host_link_names();
  const ino_t thread_ns_before = test::thread_netns_inode();

  KernelCapabilities caps = probe_kernel_capabilities();

  utsname u{};
  uname(&u);
  EXPECT_EQ(caps.kernel_release, u.release);
  for (const char* name : {"netns", "veth", "bridge", "htb"}) {
    const Capability* c = caps.find(name);
    ASSERT_NE(c, nullptr) << name << " not probed";
    EXPECT_TRUE(c->available) << name << ": " << c->detail;
    EXPECT_TRUE(c->required) << name;
    EXPECT_FALSE(c->detail.empty()) << name;
    EXPECT_TRUE(caps.has(name));
  }
  for (const char* name : {"netem", "rxe-in-netns", "rps", "vxlan"}) {
    const Capability* c = caps.find(name);
    ASSERT_NE(c, nullptr) << name << " not probed";
    EXPECT_FALSE(c->detail.empty()) << name << " has no detail";
    EXPECT_FALSE(c->required) << name << " is optional";
  }
  // Every entry is named once.
  for (const auto& c : caps.items)
    EXPECT_EQ(std::count_if(caps.items.begin(), caps.items.end(), [&](const Capability& o) { return o.name == c.name; }), 1) << c.name;

  // Entries other processes remove meanwhile do not matter; none may have appeared. (ctest runs
  // this test serially, so with nothing else going on the count is also unchanged.)
  const auto netns_after = run_netns_entries();
  std::vector<std::string> appeared;
  std::set_difference(netns_after.begin(), netns_after.end(), netns_before.begin(), netns_before.end(), std::back_inserter(appeared));
  EXPECT_TRUE(appeared.empty()) << "the probe left " << appeared.size() << " entries in /run/netns, e.g. " << appeared.front();
  EXPECT_LE(netns_after.size(), netns_before.size());
  EXPECT_EQ(test::host_link_names(), host_links_before) << "the probe changed the host's links";
  EXPECT_EQ(test::thread_netns_inode(), thread_ns_before) << "the probe moved the calling thread";
}

TEST_F(ProbeKernelCapabilitiesTest, RepeatedProbesAgree) {
  auto first = probe_kernel_capabilities();
  auto second = probe_kernel_capabilities();
  ASSERT_EQ(first.items.size(), second.items.size());
  for (std::size_t i = 0; i < first.items.size(); ++i) {
    EXPECT_EQ(first.items[i].name, second.items[i].name);
    EXPECT_EQ(first.items[i].available, second.items[i].available) << first.items[i].name;
  }
}

}  // namespace
}  // namespace scalelab::nl
