// Every emulated interface steers each receive flow to one CPU (emulator/netlink/rps.h), read
// back from each namespace's own sysfs, so no flow (TCP or RoCE) is reordered between CPUs.
#include <gtest/gtest.h>

#include <string>

#include "cluster_fixture.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/rps.h"

using namespace scalelab;

namespace {
// sysfs pads a mask to the kernel's cpumask width ("00000003", "0,00000003"): compare values.
std::string bare_mask(std::string mask) {
  mask = mask.substr(0, mask.find('\n'));
  std::string digits;
  for (char c : mask)
    if (c != ',') digits += c;
  const auto first = digits.find_first_not_of('0');
  return first == std::string::npos ? "0" : digits.substr(first);
}
}  // namespace

TEST(ReceiveSteering, EveryInterfaceOfEveryNamespaceUsesAllOnlineCpus) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  const auto first = nl::NamedNetns::open(cluster.plan().namespaces.front().netns);
  if (!nl::has_rps_default_mask(first.fd()))
    GTEST_SKIP() << "this kernel has no per-namespace net.core.rps_default_mask (needs Linux >= 6.5 with CONFIG_RPS)";
  const std::string want = nl::online_cpu_mask();
  for (const auto& ns : cluster.plan().namespaces) {
    for (const auto& iface : ns.interfaces) {
      auto r = fixtures::run_scalelab({"exec", cluster.name() + "/" + ns.node, "--", "cat",
                                       "/sys/class/net/" + iface.ifname + "/queues/rx-0/rps_cpus"});
      ASSERT_EQ(r.status, 0) << ns.node << "/" << iface.ifname << ": " << r.output;
      EXPECT_EQ(bare_mask(r.output), bare_mask(want)) << ns.node << "/" << iface.ifname << ": " << r.output;
    }
  }
}
