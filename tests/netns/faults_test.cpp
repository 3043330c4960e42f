// Faults on a live cluster, through the runtime: what breaks, what reroutes, what comes back.
#include <gtest/gtest.h>

#include "cluster_fixture.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/runtime/targets.h"

using namespace scalelab;

namespace {
bool pings(const fixtures::LiveCluster& c, const std::string& from, const std::string& to) {
  return fixtures::run_scalelab({"exec", c.name() + "/" + from, "--", "ping", "-c", "1", "-W", "1", to}).status == 0;
}
// After a link comes back, ARP and the bridge port need a moment, as on real hardware.
bool pings_again(const fixtures::LiveCluster& c, const std::string& from, const std::string& to) {
  for (int attempt = 0; attempt < 3; ++attempt)
    if (pings(c, from, to)) return true;
  return false;
}
std::size_t nexthops_to(const fixtures::LiveCluster& c, const std::string& node, const std::string& destination) {
  auto netns = nl::NamedNetns::open(c.node(node).netns);
  nl::RouteSocket sock(netns.fd());
  for (const auto& r : nl::list_ipv4_routes(sock))
    if (r.destination == destination) return r.nexthops.size();
  return 0;
}
}  // namespace

TEST(Faults, LinkDownCutsTheGpuAndLinkUpRestoresIt) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster c(fixtures::shipped_topology("tiny.json"));
  auto live = runtime::LiveCluster::open(c.name());
  auto link = runtime::resolve_links(live.plan(), "rail1:host1");  // gpu3's NIC
  // The first ping resolves ARP over two hops: on a loaded machine (the sanitizer tier) one
  // second is not always enough, as after a link comes back.
  ASSERT_TRUE(pings_again(c, "gpu1", c.address("gpu3", "nic0")));
  live.set_links(link, false);
  live.reconverge();
  EXPECT_FALSE(pings(c, "gpu1", c.address("gpu3", "nic0")));
  EXPECT_TRUE(pings(c, "gpu2", c.address("gpu3", "nvl0"))) << "the scale-up link is untouched";
  live.set_links(link, true);
  live.reconverge();
  EXPECT_TRUE(pings_again(c, "gpu1", c.address("gpu3", "nic0")));
  EXPECT_TRUE(pings_again(c, "gpu0", c.address("gpu3", "nic0"))) << "cross-rail routes of gpu3 are back";
}

TEST(Faults, SpineLinkLossIsRoutedAroundAndRestored) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster c(fixtures::shipped_topology("h100x2.json"));
  auto live = runtime::LiveCluster::open(c.name());
  std::string rail1 = live.plan().find("leaf1")->bridge_address;
  rail1 = rail1.substr(0, rail1.rfind('.')) + ".8/29";  // leaf1's subnet, as the plan allocates it
  ASSERT_EQ(nexthops_to(c, "leaf0", rail1), 2u);
  live.set_links(runtime::resolve_links(live.plan(), "link:leaf0-spine1"), false);
  EXPECT_GT(live.reconverge(), 0u);
  EXPECT_EQ(nexthops_to(c, "leaf0", rail1), 1u) << "the dead ECMP next hop is withdrawn";
  // The routes are right at once (checked above); the first packet on the new path may still
  // wait for ARP on a loaded machine (one CI run lost a 1 s ping here), as after a link-up.
  EXPECT_TRUE(pings_again(c, "gpu0", c.address("gpu1", "nic0"))) << "traffic moves to spine0";
  live.set_links(runtime::resolve_links(live.plan(), "link:leaf0-spine1"), true);
  live.reconverge();
  EXPECT_EQ(nexthops_to(c, "leaf0", rail1), 2u);
}

TEST(Faults, DegradeChangesTheRateAndRestoreBringsItBack) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster c(fixtures::shipped_topology("tiny.json"));
  auto live = runtime::LiveCluster::open(c.name());
  runtime::LinkDegradation half;
  half.rate_bps = 200'000'000;
  live.degrade(runtime::resolve_links(live.plan(), "gpu0:nic0"), half);
  auto r = fixtures::run_scalelab({"exec", c.name() + "/gpu0", "--", "tc", "class", "show", "dev", "nic0"});
  EXPECT_NE(r.output.find("rate 200Mbit"), std::string::npos) << r.output;
  // A fresh handle sees the fault recorded by the first.
  EXPECT_EQ(runtime::LiveCluster::open(c.name()).faults().degraded.size(), 1u);
  live.restore(runtime::resolve_links(live.plan(), "gpu0:nic0"));
  r = fixtures::run_scalelab({"exec", c.name() + "/gpu0", "--", "tc", "class", "show", "dev", "nic0"});
  EXPECT_NE(r.output.find("rate 400Mbit"), std::string::npos) << r.output;
  if (!live.netem_available()) {
    runtime::LinkDegradation delay;
    delay.delay_ns = 5'000'000;
    EXPECT_THROW(live.degrade(runtime::resolve_links(live.plan(), "gpu0:nic0"), delay), std::runtime_error)
        << "without netem a delay must be refused, not ignored";
  }
}

TEST(Faults, PartitionSeparatesHostsUntilHealed) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster c(fixtures::shipped_topology("tiny.json"));
  auto live = runtime::LiveCluster::open(c.name());
  live.partition(runtime::resolve_gpus(live.plan(), "host:0"), runtime::resolve_gpus(live.plan(), "host:1"));
  EXPECT_FALSE(pings(c, "gpu0", c.address("gpu2", "nic0")));
  EXPECT_FALSE(pings(c, "gpu3", c.address("gpu1", "nic0")));
  EXPECT_TRUE(pings(c, "gpu0", c.address("gpu1", "nvl0"))) << "inside a side traffic flows";
  live.heal();
  EXPECT_TRUE(pings_again(c, "gpu0", c.address("gpu2", "nic0")));
}

TEST(Faults, NicDownTakesOnlyTheGpuEnd) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster c(fixtures::shipped_topology("tiny.json"));
  auto live = runtime::LiveCluster::open(c.name());
  live.set_nic("gpu2", "nic0", false);
  EXPECT_FALSE(pings(c, "gpu0", c.address("gpu2", "nic0")));
  live.set_nic("gpu2", "nic0", true);
  live.reconverge();
  EXPECT_TRUE(pings_again(c, "gpu0", c.address("gpu2", "nic0")));
}
