#include "emulator/netlink/rps.h"

#include <gtest/gtest.h>
#include <sys/utsname.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "emulator/netlink/capabilities.h"
#include "emulator/netlink/netns.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

TEST(CpuMaskFromList, SingleCpusRangesAndMixes) {
  EXPECT_EQ(cpu_mask_from_list("0"), "1");
  EXPECT_EQ(cpu_mask_from_list("0-1"), "3");
  EXPECT_EQ(cpu_mask_from_list("0-1,4\n"), "13");
  EXPECT_EQ(cpu_mask_from_list("3,1"), "a");
  EXPECT_EQ(cpu_mask_from_list("0-7"), "ff");
}

TEST(CpuMaskFromList, GroupsOf32CpusAreCommaSeparatedAndZeroPadded) {
  EXPECT_EQ(cpu_mask_from_list("0-63"), "ffffffff,ffffffff");
  EXPECT_EQ(cpu_mask_from_list("0,32"), "1,00000001");
  EXPECT_EQ(cpu_mask_from_list("64"), "1,00000000,00000000");
}

TEST(CpuMaskFromList, RejectsMalformedLists) {
  for (const char* bad : {"", "\n", "a", "1-", "-1", "3-1", "0,,1", "1.5"})
    EXPECT_THROW(cpu_mask_from_list(bad), std::invalid_argument) << "'" << bad << "'";
}

TEST(OnlineCpuMask, CoversEveryOnlineCpu) {
  std::ifstream f("/sys/devices/system/cpu/online");
  std::string list;
  std::getline(f, list);
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(online_cpu_mask(), cpu_mask_from_list(list));
}

class RpsDefaultMaskTest : public test::NetnsTest {};

// /proc/sys/net resolves to the reading thread's network namespace.
std::string read_mask() {
  std::ifstream f("/proc/sys/net/core/rps_default_mask");
  std::string s;
  std::getline(f, s);
  return s;
}

std::string read_mask_inside(int netns_fd) {
  ThreadNetnsGuard inside(netns_fd);
  return read_mask();
}

TEST_F(RpsDefaultMaskTest, SetsTheNamespacesOwnMaskAndLeavesTheHostsAlone) {
  auto& ns = make_netns("rps");
  if (!has_rps_default_mask(ns.fd()))
    GTEST_SKIP() << "this kernel has no per-namespace net.core.rps_default_mask (needs Linux >= 6.5 with CONFIG_RPS)";
  const std::string host_before = read_mask();
  EXPECT_EQ(read_mask_inside(ns.fd()).find_first_not_of("0,"), std::string::npos) << "a new namespace starts without RPS";
  set_rps_default_mask(ns.fd(), cpu_mask_from_list("0"));
  const std::string inside = read_mask_inside(ns.fd());
  EXPECT_NE(inside.find('1'), std::string::npos) << inside;
  EXPECT_EQ(read_mask(), host_before);
}

TEST_F(RpsDefaultMaskTest, ProbeAgreesWithTheSysctl) {
  auto& ns = make_netns("rps");
  auto caps = probe_kernel_capabilities();
  const Capability* rps = caps.find("rps");
  ASSERT_NE(rps, nullptr);
  EXPECT_FALSE(rps->required);
  EXPECT_EQ(rps->available, has_rps_default_mask(ns.fd())) << rps->detail;
}

}  // namespace
}  // namespace scalelab::nl
