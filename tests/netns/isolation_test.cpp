// Proven from each namespace's own routing table (a route lookup; nothing is sent): no emulated
// namespace can reach the host's addresses or anything outside the cluster's address plan.
#include <gtest/gtest.h>

#include "cluster_fixture.h"
#include "emulator/netlink/addresses.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"
#include "emulator/plan/ipv4.h"

using namespace scalelab;

TEST(Isolation, NoNamespaceHasARouteToTheHostOrOutsideThePlan) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(fixtures::shipped_topology("tiny.json"));

  std::vector<std::string> targets = {"8.8.8.8", "1.1.1.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "100.64.0.1",
                                      "198.17.255.255", "198.20.0.1", "224.0.0.1", "255.255.255.255"};
  nl::RouteSocket host(-1);
  for (const auto& a : nl::list_ipv4_addresses(host)) {
    auto address = a.cidr.substr(0, a.cidr.find('/'));
    if (address.rfind("127.", 0) != 0) targets.push_back(address);  // every namespace has its own loopback
  }
  ASSERT_GT(targets.size(), 10u) << "the host should have at least one non-loopback address to check";

  plan::Subnet plan_range{plan::ipv4_from_string("198.18.0.0"), 15};
  for (const auto& ns : cluster.plan().namespaces) {
    auto netns = nl::NamedNetns::open(ns.netns);
    for (const auto& target : targets) {
      auto route = nl::lookup_route(netns.fd(), target);
      EXPECT_FALSE(route && route->type == "unicast") << ns.node << " has a route to " << target;
    }
    nl::RouteSocket sock(netns.fd());
    for (const auto& r : nl::list_ipv4_routes(sock)) {
      EXPECT_NE(r.destination, "default") << ns.node;
      if (r.destination == "default") continue;
      auto dst = r.destination.substr(0, r.destination.find('/'));
      EXPECT_TRUE(plan_range.contains(plan::ipv4_from_string(dst))) << ns.node << " routes " << r.destination;
    }
  }
}
