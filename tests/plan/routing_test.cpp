#include "emulator/plan/routing.h"

#include <gtest/gtest.h>

using namespace scalelab::plan;

namespace {
std::uint32_t ip(const char* s) { return ipv4_from_string(s); }
}  // namespace

// host a — seg0 — r1 — seg1 — r2 — seg2 — host b, plus r1 — seg3 — r3 — seg4 — r2 (a longer path)
TEST(Routing, ShortestPathThroughForwardersOnly) {
  std::vector<Subnet> subnets = {{ip("10.0.0.0"), 24}, {ip("10.0.1.0"), 31}, {ip("10.0.2.0"), 24}};
  std::vector<L3Node> nodes(4);
  nodes[0] = {false, {{0, ip("10.0.0.2"), "eth0", 2}}};                              // host a
  nodes[1] = {true, {{0, ip("10.0.0.1"), "a", 2}, {1, ip("10.0.1.0"), "r2", 3}}};     // r1
  nodes[2] = {true, {{1, ip("10.0.1.1"), "r1", 2}, {2, ip("10.0.2.1"), "b", 3}}};     // r2
  nodes[3] = {false, {{2, ip("10.0.2.2"), "eth0", 2}}};                              // host b
  auto routes = compute_routes(nodes, subnets, {true, false, true});
  ASSERT_EQ(routes[0].size(), 1u);
  EXPECT_EQ(routes[0][0].destination, "10.0.2.0/24");
  ASSERT_EQ(routes[0][0].nexthops.size(), 1u);
  EXPECT_EQ(routes[0][0].nexthops[0].gateway, "10.0.0.1");
  // r1 reaches b's segment via r2; nobody gets a route to the infrastructure /31.
  ASSERT_EQ(routes[1].size(), 1u);
  EXPECT_EQ(routes[1][0].nexthops[0].gateway, "10.0.1.1");
  for (const auto& per_node : routes)
    for (const auto& r : per_node) EXPECT_NE(r.destination, "10.0.1.0/31");
}

TEST(Routing, HostsNeverForwardForOthers) {
  // a — seg0 — h (a host with two interfaces) — seg1 — b: no route, h is not a forwarder.
  std::vector<Subnet> subnets = {{ip("10.0.0.0"), 24}, {ip("10.0.1.0"), 24}};
  std::vector<L3Node> nodes(3);
  nodes[0] = {false, {{0, ip("10.0.0.2"), "eth0", 2}}};
  nodes[1] = {false, {{0, ip("10.0.0.1"), "eth0", 2}, {1, ip("10.0.1.1"), "eth1", 3}}};
  nodes[2] = {false, {{1, ip("10.0.1.2"), "eth0", 2}}};
  auto routes = compute_routes(nodes, subnets, {true, true});
  EXPECT_TRUE(routes[0].empty());
  EXPECT_TRUE(routes[2].empty());
}

TEST(Routing, EqualCostPathsBecomeMultipath) {
  // leaf a (seg0 hosts) with two spines to leaf b (seg3 hosts)
  std::vector<Subnet> subnets = {{ip("10.0.0.0"), 24}, {ip("10.1.0.0"), 31}, {ip("10.1.0.2"), 31},
                                 {ip("10.0.1.0"), 24}, {ip("10.1.0.4"), 31}, {ip("10.1.0.6"), 31}};
  std::vector<L3Node> nodes(4);
  nodes[0] = {true, {{0, ip("10.0.0.1"), "br0", 2}, {1, ip("10.1.0.0"), "s0", 3}, {2, ip("10.1.0.2"), "s1", 4}}};  // leaf a
  nodes[1] = {true, {{1, ip("10.1.0.1"), "la", 2}, {4, ip("10.1.0.4"), "lb", 3}}};                                // spine 0
  nodes[2] = {true, {{2, ip("10.1.0.3"), "la", 2}, {5, ip("10.1.0.6"), "lb", 3}}};                                // spine 1
  nodes[3] = {true, {{3, ip("10.0.1.1"), "br0", 2}, {4, ip("10.1.0.5"), "s0", 3}, {5, ip("10.1.0.7"), "s1", 4}}};  // leaf b
  auto routes = compute_routes(nodes, subnets, {true, false, false, true, false, false});
  ASSERT_EQ(routes[0].size(), 1u);
  EXPECT_EQ(routes[0][0].destination, "10.0.1.0/24");
  ASSERT_EQ(routes[0][0].nexthops.size(), 2u);
  EXPECT_EQ(routes[0][0].nexthops[0].gateway, "10.1.0.1");
  EXPECT_EQ(routes[0][0].nexthops[1].gateway, "10.1.0.3");
}

#include "emulator/plan/reroute.h"
#include "test_topologies.h"

TEST(Reroute, WithNothingFailedItMatchesThePlan) {
  auto p = build_plan(scalelab::fixtures::two_spine_topology());
  auto routes = routes_without(p, {});
  for (std::size_t i = 0; i < p.namespaces.size(); ++i) {
    ASSERT_EQ(routes[i].size(), p.namespaces[i].routes.size()) << p.namespaces[i].node;
    for (std::size_t r = 0; r < routes[i].size(); ++r) {
      EXPECT_EQ(routes[i][r].destination, p.namespaces[i].routes[r].destination);
      EXPECT_EQ(routes[i][r].nexthops.size(), p.namespaces[i].routes[r].nexthops.size());
    }
  }
}

TEST(Reroute, AFailedSpineLinkWithdrawsThatNexthopOnly) {
  auto p = build_plan(scalelab::fixtures::two_spine_topology());
  const auto* leaf0 = p.find("leaf0");
  int failed = -1;
  for (const auto& i : leaf0->interfaces)
    if (i.ifname == "spine1") failed = i.link;
  ASSERT_GE(failed, 0);
  auto routes = routes_without(p, {failed});
  std::size_t leaf0_index = leaf0 - p.namespaces.data();
  ASSERT_EQ(routes[leaf0_index].size(), 1u);
  ASSERT_EQ(routes[leaf0_index][0].nexthops.size(), 1u);
  EXPECT_EQ(routes[leaf0_index][0].nexthops[0].ifname, "spine0");
  // leaf1 now reaches rail 0 through spine0 only: spine1's way there is gone.
  std::size_t leaf1_index = p.find("leaf1") - p.namespaces.data();
  ASSERT_EQ(routes[leaf1_index].size(), 1u);
  EXPECT_EQ(routes[leaf1_index][0].nexthops.size(), 1u) << "spine1 can no longer reach rail 0";
}
