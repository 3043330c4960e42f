#include <gtest/gtest.h>

#include <set>

#include "emulator/plan/ipv4.h"
#include "emulator/plan/plan.h"
#include "test_topologies.h"

using namespace scalelab;

namespace {

const plan::Interface& iface(const plan::Namespace& ns, const std::string& name) {
  for (const auto& i : ns.interfaces)
    if (i.ifname == name) return i;
  throw std::runtime_error("no interface " + name + " in " + ns.node);
}

std::string address_of(const plan::Namespace& ns, const std::string& ifname) {
  const auto& cidr = iface(ns, ifname).address;
  return cidr.substr(0, cidr.find('/'));
}

plan::Subnet subnet_of(const std::string& cidr) {
  auto slash = cidr.find('/');
  return {plan::ipv4_from_string(cidr.substr(0, slash)), std::stoi(cidr.substr(slash + 1))};
}

}  // namespace

TEST(PlanBuilder, NamesNamespacesAndGpuInterfaces) {
  auto p = plan::build_plan(fixtures::tiny_topology());
  ASSERT_EQ(p.namespaces.size(), 9u);  // 4 gpus, 2 nvswitches, 2 leaves, 1 spine
  EXPECT_EQ(p.gpu_count(), 4u);
  EXPECT_EQ(p.namespaces[0].netns, "sl-tiny-gpu0");
  EXPECT_EQ(p.namespaces[3].rank, 3);
  EXPECT_EQ(p.namespaces[3].host, 1);
  const auto* gpu2 = p.find("gpu2");
  ASSERT_NE(gpu2, nullptr);
  EXPECT_EQ(iface(*gpu2, "nvl0").peer_node, "nvsw1");
  EXPECT_EQ(iface(*gpu2, "nic0").peer_node, "leaf0");
  // Switch ports are named after the peer and bridged; uplinks to the spine are routed.
  const auto* leaf0 = p.find("leaf0");
  EXPECT_TRUE(iface(*leaf0, "gpu2").bridge_port);
  EXPECT_FALSE(iface(*leaf0, "spine0").bridge_port);
  EXPECT_TRUE(leaf0->forwarding);
  EXPECT_FALSE(p.find("nvsw0")->forwarding);
}

TEST(PlanBuilder, GpuDomainsAreEachGpusScaleUpDomainInRankOrder) {
  EXPECT_EQ(plan::gpu_domains(plan::build_plan(fixtures::tiny_topology())), (std::vector<int>{0, 0, 1, 1}));
  // No scale-up tier: no GPU has a domain.
  EXPECT_EQ(plan::gpu_domains(plan::build_plan(fixtures::two_spine_topology())), (std::vector<int>{-1, -1, -1, -1}));
}

TEST(PlanBuilder, IfindexesAreUniquePerNamespaceAndLeaveRoomForTheBridge) {
  auto p = plan::build_plan(fixtures::load_shipped("h100x2.json"));
  for (const auto& ns : p.namespaces) {
    std::set<int> seen;
    if (ns.has_bridge) seen.insert(plan::kBridgeIfindex);
    for (const auto& i : ns.interfaces) {
      EXPECT_GE(i.ifindex, 2);
      EXPECT_TRUE(seen.insert(i.ifindex).second) << ns.node << " " << i.ifname;
      EXPECT_LE(i.ifname.size(), 15u);
    }
  }
}

TEST(PlanBuilder, EveryAddressIsInTheBenchmarkingRangeAndUnique) {
  auto p = plan::build_plan(fixtures::load_shipped("rail128.json"));
  plan::Subnet benchmarking{plan::ipv4_from_string("198.18.0.0"), 15};
  std::set<std::string> seen;
  auto check = [&](const std::string& cidr) {
    auto address = cidr.substr(0, cidr.find('/'));
    EXPECT_TRUE(benchmarking.contains(plan::ipv4_from_string(address))) << cidr;
    EXPECT_TRUE(seen.insert(address).second) << "duplicate " << cidr;
  };
  for (const auto& ns : p.namespaces) {
    if (!ns.bridge_address.empty()) check(ns.bridge_address);
    for (const auto& i : ns.interfaces) {
      EXPECT_EQ(i.bridge_port, i.address.empty()) << ns.node << ":" << i.ifname;
      if (!i.address.empty()) check(i.address);
    }
    for (const auto& r : ns.routes) {
      auto dst = r.destination.substr(0, r.destination.find('/'));
      EXPECT_TRUE(benchmarking.contains(plan::ipv4_from_string(dst))) << r.destination;
    }
  }
  // 128 gpus × 2 interfaces + 8 leaf gateways + 8 leaves × 4 spines × 2 ends
  EXPECT_EQ(seen.size(), 128u * 2 + 8 + 8 * 4 * 2);
}

TEST(PlanBuilder, TiersUseTheirOwnBlocks) {
  auto p = plan::build_plan(fixtures::tiny_topology());
  for (const auto& ns : p.namespaces)
    for (const auto& i : ns.interfaces) {
      if (i.address.empty()) continue;
      bool scale_up_block = i.address.rfind("198.18.", 0) == 0;
      EXPECT_EQ(scale_up_block, i.tier == model::Tier::scale_up) << i.address;
    }
}

TEST(PlanBuilder, CrossRailRoutesGoThroughTheLeafGatewayAndSpine) {
  auto p = plan::build_plan(fixtures::tiny_topology());
  const auto& gpu0 = *p.find("gpu0");
  const auto& leaf0 = *p.find("leaf0");
  const auto& gpu1 = *p.find("gpu1");
  // gpu0 (rail 0) to gpu1's rail-1 subnet: one route, via leaf0's SVI, out of nic0.
  ASSERT_EQ(gpu0.routes.size(), 1u);
  EXPECT_TRUE(subnet_of(gpu0.routes[0].destination).contains(plan::ipv4_from_string(address_of(gpu1, "nic0"))));
  ASSERT_EQ(gpu0.routes[0].nexthops.size(), 1u);
  EXPECT_EQ(gpu0.routes[0].nexthops[0].ifname, "nic0");
  EXPECT_EQ(gpu0.routes[0].nexthops[0].gateway, leaf0.bridge_address.substr(0, leaf0.bridge_address.find('/')));
  // leaf0 sends it to the spine.
  ASSERT_EQ(leaf0.routes.size(), 1u);
  EXPECT_EQ(leaf0.routes[0].nexthops[0].ifname, "spine0");
  // No gpu has a route into another scale-up domain: NVLink is not routable.
  for (const auto& ns : p.namespaces)
    for (const auto& r : ns.routes) EXPECT_NE(r.destination.rfind("198.18.", 0), 0u) << ns.node << " " << r.destination;
}

TEST(PlanBuilder, LeavesSpreadOverEverySpine) {
  auto p = plan::build_plan(fixtures::two_spine_topology());
  const auto& leaf0 = *p.find("leaf0");
  ASSERT_EQ(leaf0.routes.size(), 1u);
  EXPECT_EQ(leaf0.routes[0].nexthops.size(), 2u);
  std::set<std::string> via;
  for (const auto& h : leaf0.routes[0].nexthops) via.insert(h.ifname);
  EXPECT_EQ(via, (std::set<std::string>{"spine0", "spine1"}));
}

TEST(PlanBuilder, DilationOverrideAndTierSummary) {
  auto p = plan::build_plan(fixtures::tiny_topology(), 100);
  EXPECT_DOUBLE_EQ(p.dilation, 100);
  EXPECT_EQ(p.scale_out.bandwidth_bps, 400'000'000'000u);
  EXPECT_EQ(p.scale_out.emulated_bandwidth_bps, 4'000'000'000u);
  EXPECT_EQ(p.scale_up.emulated_latency_ns, 100'000u);
  EXPECT_EQ(iface(*p.find("gpu0"), "nic0").egress.rate_bps, 4'000'000'000u);
  EXPECT_TRUE(p.needs_netem());
}

TEST(PlanBuilder, IsDeterministic) {
  auto a = plan::build_plan(fixtures::load_shipped("h100x2.json"));
  auto b = plan::build_plan(fixtures::load_shipped("h100x2.json"));
  ASSERT_EQ(a.namespaces.size(), b.namespaces.size());
  for (std::size_t i = 0; i < a.namespaces.size(); ++i) {
    ASSERT_EQ(a.namespaces[i].interfaces.size(), b.namespaces[i].interfaces.size());
    for (std::size_t j = 0; j < a.namespaces[i].interfaces.size(); ++j)
      EXPECT_EQ(a.namespaces[i].interfaces[j].address, b.namespaces[i].interfaces[j].address);
  }
}
