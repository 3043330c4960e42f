#include "emulator/netlink/routes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "emulator/netlink/addresses.h"
#include "emulator/netlink/error.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

// A: va0 198.18.255.1/30 and va1 198.18.255.5/30; B: vb0 .2/30 and vb1 .6/30. Two parallel links
// give ECMP something to spread over.
class RoutesTest : public test::VethPairTest {
 protected:
  static constexpr int kA1 = 42, kB1 = 43;
  void SetUp() override {
    VethPairTest::SetUp();
    if (IsSkipped()) return;
    create_veth(*sa_, {"va1", kA1, 1500, 0}, b_->fd(), {"vb1", kB1, 1500, 0});
    set_link_up(*sb_, kB1, true);
    add_address(*sa_, kA0, "198.18.255.1/30");
    add_address(*sb_, kB0, "198.18.255.2/30");
    add_address(*sa_, kA1, "198.18.255.5/30");
    add_address(*sb_, kB1, "198.18.255.6/30");
  }

  std::optional<RouteInfo> route_to(const std::string& destination) {
    for (auto& r : list_ipv4_routes(*sa_))
      if (r.destination == destination) return r;
    return std::nullopt;
  }
};

TEST_F(RoutesTest, ConnectedRoutesAreListed) {
  auto r = route_to("198.18.255.0/30");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].ifindex, kA0);
  EXPECT_EQ(r->nexthops[0].gateway, "");
  EXPECT_TRUE(route_to("198.18.255.4/30"));
}

TEST_F(RoutesTest, ReplaceRouteSingleNexthop) {
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.2", kA0}});
  auto r = route_to("198.19.10.0/24");
  ASSERT_TRUE(r) << "route not listed";
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, "198.18.255.2");
  EXPECT_EQ(r->nexthops[0].ifindex, kA0);
}

TEST_F(RoutesTest, ReplaceRouteReplacesRatherThanAdds) {
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.2", kA0}});
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.6", kA1}});
  auto all = list_ipv4_routes(*sa_);
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const RouteInfo& r) { return r.destination == "198.19.10.0/24"; }), 1);
  auto r = route_to("198.19.10.0/24");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, "198.18.255.6");
  EXPECT_EQ(r->nexthops[0].ifindex, kA1);
}

TEST_F(RoutesTest, ReplaceRouteEcmpMultipath) {
  replace_route(*sa_, "198.19.20.0/24", {{"198.18.255.2", kA0}, {"198.18.255.6", kA1}});
  auto r = route_to("198.19.20.0/24");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->nexthops.size(), 2u);
  std::vector<std::pair<std::string, int>> hops;
  for (const auto& h : r->nexthops) hops.emplace_back(h.gateway, h.ifindex);
  std::sort(hops.begin(), hops.end());
  EXPECT_EQ(hops[0], std::make_pair(std::string("198.18.255.2"), int(kA0)));
  EXPECT_EQ(hops[1], std::make_pair(std::string("198.18.255.6"), int(kA1)));

  // And back to a single path (live rerouting), then to multipath again.
  replace_route(*sa_, "198.19.20.0/24", {{"198.18.255.6", kA1}});
  r = route_to("198.19.20.0/24");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, "198.18.255.6");
  replace_route(*sa_, "198.19.20.0/24", {{"198.18.255.2", kA0}, {"198.18.255.6", kA1}});
  EXPECT_EQ(route_to("198.19.20.0/24")->nexthops.size(), 2u);
}

TEST_F(RoutesTest, DefaultRouteIsListedAsDefault) {
  replace_route(*sa_, "0.0.0.0/0", {{"198.18.255.2", kA0}});
  auto r = route_to("default");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->nexthops.size(), 1u);
  EXPECT_EQ(r->nexthops[0].gateway, "198.18.255.2");
}

TEST_F(RoutesTest, ReplaceRouteWithAnUnreachableGatewayThrows) {
  EXPECT_THROW(replace_route(*sa_, "198.19.30.0/24", {{"198.19.99.1", kA0}}), NetlinkError);
  EXPECT_THROW(replace_route(*sa_, "198.19.30.0/24", {{"bogus", kA0}}), NetlinkError);
  EXPECT_FALSE(route_to("198.19.30.0/24"));
}

TEST_F(RoutesTest, LookupConnected) {
  auto hit = lookup_route(a_->fd(), "198.18.255.2");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->oif, kA0);
  EXPECT_EQ(hit->gateway, "");
  EXPECT_EQ(hit->type, "unicast");
  hit = lookup_route(a_->fd(), "198.18.255.6");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->oif, kA1);
}

TEST_F(RoutesTest, LookupLocal) {
  auto hit = lookup_route(a_->fd(), "198.18.255.1");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->type, "local");
}

TEST_F(RoutesTest, LookupViaGateway) {
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.2", kA0}});
  auto hit = lookup_route(a_->fd(), "198.19.10.7");
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->oif, kA0);
  EXPECT_EQ(hit->gateway, "198.18.255.2");
  EXPECT_EQ(hit->type, "unicast");
}

TEST_F(RoutesTest, LookupViaEcmpPicksOneOfTheNexthops) {
  replace_route(*sa_, "198.19.20.0/24", {{"198.18.255.2", kA0}, {"198.18.255.6", kA1}});
  auto hit = lookup_route(a_->fd(), "198.19.20.9");
  ASSERT_TRUE(hit);
  EXPECT_TRUE((hit->oif == kA0 && hit->gateway == "198.18.255.2") || (hit->oif == kA1 && hit->gateway == "198.18.255.6"))
      << "oif " << hit->oif << " gateway " << hit->gateway;
}

TEST_F(RoutesTest, LookupWithoutAnyRouteIsNullopt) {
  EXPECT_FALSE(lookup_route(a_->fd(), "198.19.200.1"));
  // B has no route to A's second subnet's far side either... but it does: connected. Check a
  // namespace with nothing configured at all.
  NamedNetns& empty = make_netns("empty");
  EXPECT_FALSE(lookup_route(empty.fd(), "198.18.255.2"));
}

TEST_F(RoutesTest, LookupRunsInTheGivenNamespaceOnly) {
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.2", kA0}});
  EXPECT_TRUE(lookup_route(a_->fd(), "198.19.10.7"));
  EXPECT_FALSE(lookup_route(b_->fd(), "198.19.10.7"));
  EXPECT_EQ(test::thread_netns_inode(), test::inode_of_path("/proc/self/ns/net"));
}

TEST_F(RoutesTest, LookupOfAMalformedAddressThrows) {
  try {
    lookup_route(a_->fd(), "198.19.1");
    FAIL() << "lookup of a malformed address succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), EINVAL);
  }
}

TEST_F(RoutesTest, DeleteRoute) {
  replace_route(*sa_, "198.19.10.0/24", {{"198.18.255.2", kA0}});
  ASSERT_TRUE(route_to("198.19.10.0/24"));
  delete_route(*sa_, "198.19.10.0/24");
  EXPECT_FALSE(route_to("198.19.10.0/24"));
  EXPECT_FALSE(lookup_route(a_->fd(), "198.19.10.7"));
  EXPECT_THROW(delete_route(*sa_, "198.19.10.0/24"), NetlinkError);
}

TEST_F(RoutesTest, DeleteMultipathRoute) {
  replace_route(*sa_, "198.19.20.0/24", {{"198.18.255.2", kA0}, {"198.18.255.6", kA1}});
  delete_route(*sa_, "198.19.20.0/24");
  EXPECT_FALSE(route_to("198.19.20.0/24"));
}

}  // namespace
}  // namespace scalelab::nl
