#include "emulator/netlink/links.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <map>
#include <thread>

#include "emulator/netlink/error.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

class LinksTest : public test::NetnsTest {};

// Polls until the link's carrier matches, for at most a second.
bool wait_for_carrier(RouteSocket& sock, const std::string& ifname, bool want) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  do {
    if (get_link(sock, ifname).carrier == want) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

TEST_F(LinksTest, CreateVethPutsEachEndInItsNamespaceAndNothingInTheHost) {
  NamedNetns& a = make_netns("a");
  NamedNetns& b = make_netns("b");
  RouteSocket& sa = socket_in(a);
  RouteSocket& sb = socket_in(b);
  const auto host_before = test::host_link_names();

  create_veth(sa, {"near0", 40, 9000, 0}, b.fd(), {"far0", 41, 9000, 0});

  LinkInfo near = get_link(sa, "near0");
  EXPECT_EQ(near.ifindex, 40);
  EXPECT_EQ(near.mtu, 9000u);
  EXPECT_EQ(near.kind, "veth");
  EXPECT_TRUE(near.admin_up) << "the near end comes up at creation";
  EXPECT_EQ(near.master, 0);

  LinkInfo far = get_link(sb, "far0");
  EXPECT_EQ(far.ifindex, 41);
  EXPECT_EQ(far.mtu, 9000u);
  EXPECT_EQ(far.kind, "veth");
  EXPECT_FALSE(far.admin_up) << "the far end stays down until set_link_up";

  // Exactly lo + its end in each namespace.
  EXPECT_EQ(list_links(sa).size(), 2u);
  EXPECT_EQ(list_links(sb).size(), 2u);
  EXPECT_THROW(get_link(sa, "far0"), NetlinkError);
  EXPECT_THROW(get_link(sb, "near0"), NetlinkError);

  const auto host_after = test::host_link_names();
  std::vector<std::string> appeared;
  std::set_difference(host_after.begin(), host_after.end(), host_before.begin(), host_before.end(), std::back_inserter(appeared));
  EXPECT_TRUE(appeared.empty()) << "new links in the host namespace, first: " << appeared.front();
}

TEST_F(LinksTest, KernelPickedIfindexAndDefaultMtu) {
  NamedNetns& a = make_netns("a");
  NamedNetns& b = make_netns("b");
  RouteSocket& sa = socket_in(a);
  RouteSocket& sb = socket_in(b);
  create_veth(sa, {"n1", 0, 1500, 0}, b.fd(), {"f1", 0, 1500, 0});
  EXPECT_GT(get_link(sa, "n1").ifindex, 1);
  EXPECT_GT(get_link(sb, "f1").ifindex, 1);
  EXPECT_EQ(get_link(sa, "n1").mtu, 1500u);
}

TEST_F(LinksTest, FarEndComesUpWithSetLinkUpAndCarrierFollows) {
  NamedNetns& a = make_netns("a");
  NamedNetns& b = make_netns("b");
  RouteSocket& sa = socket_in(a);
  RouteSocket& sb = socket_in(b);
  create_veth(sa, {"near0", 40, 1500, 0}, b.fd(), {"far0", 41, 1500, 0});
  EXPECT_FALSE(get_link(sa, "near0").carrier) << "no carrier while the peer is down";

  set_link_up(sb, 41, true);
  EXPECT_TRUE(get_link(sb, "far0").admin_up);
  EXPECT_TRUE(wait_for_carrier(sa, "near0", true));
  EXPECT_TRUE(wait_for_carrier(sb, "far0", true));

  set_link_up(sa, 40, false);
  EXPECT_FALSE(get_link(sa, "near0").admin_up);
  EXPECT_TRUE(wait_for_carrier(sb, "far0", false));
}

TEST_F(LinksTest, SetLinkUpOnAMissingIfindexThrows) {
  NamedNetns& a = make_netns();
  RouteSocket& sa = socket_in(a);
  try {
    set_link_up(sa, 77, true);
    FAIL() << "set_link_up on a missing link succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("ifindex 77"), std::string::npos) << e.what();
  }
}

TEST_F(LinksTest, DuplicateVethNameOrIfindexThrows) {
  NamedNetns& a = make_netns("a");
  NamedNetns& b = make_netns("b");
  RouteSocket& sa = socket_in(a);
  create_veth(sa, {"near0", 40, 1500, 0}, b.fd(), {"far0", 41, 1500, 0});
  try {
    create_veth(sa, {"near0", 0, 1500, 0}, b.fd(), {"far9", 0, 1500, 0});
    FAIL() << "a second near0 was created";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("near0 <-> far9"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_veth(sa, {"near1", 0, 1500, 0}, b.fd(), {"far0", 0, 1500, 0}), NetlinkError);
  EXPECT_THROW(create_veth(sa, {"near2", 40, 1500, 0}, b.fd(), {"far2", 0, 1500, 0}), NetlinkError);
  // The failures left nothing half-made.
  EXPECT_EQ(list_links(sa).size(), 2u);
  RouteSocket& sb = socket_in(b);
  EXPECT_EQ(list_links(sb).size(), 2u);
}

TEST_F(LinksTest, CreateBridge) {
  NamedNetns& a = make_netns();
  RouteSocket& sa = socket_in(a);
  create_bridge(sa, "br0", 50, 1500);
  LinkInfo br = get_link(sa, "br0");
  EXPECT_EQ(br.ifindex, 50);
  EXPECT_EQ(br.kind, "bridge");
  EXPECT_EQ(br.mtu, 1500u);
  EXPECT_TRUE(br.admin_up);
  EXPECT_THROW(create_bridge(sa, "br0", 0, 1500), NetlinkError);
}

TEST_F(LinksTest, EnslaveAndSetUpAttachesToTheBridgeAndBringsUp) {
  NamedNetns& a = make_netns("a");
  NamedNetns& sw = make_netns("sw");
  RouteSocket& sa = socket_in(a);
  RouteSocket& ssw = socket_in(sw);
  create_bridge(ssw, "br0", 50, 1500);
  create_veth(sa, {"eth0", 40, 1500, 0}, sw.fd(), {"p1", 41, 1500, 0});
  ASSERT_FALSE(get_link(ssw, "p1").admin_up);

  enslave_and_set_up(ssw, 41, 50);
  LinkInfo port = get_link(ssw, "p1");
  EXPECT_EQ(port.master, 50);
  EXPECT_TRUE(port.admin_up);
  EXPECT_TRUE(wait_for_carrier(sa, "eth0", true));
}

TEST_F(LinksTest, SetMasterOnlyEnslaves) {
  NamedNetns& a = make_netns("a");
  NamedNetns& sw = make_netns("sw");
  RouteSocket& sa = socket_in(a);
  RouteSocket& ssw = socket_in(sw);
  create_bridge(ssw, "br0", 50, 1500);
  create_bridge(ssw, "br1", 51, 1500);
  create_veth(sa, {"eth0", 40, 1500, 0}, sw.fd(), {"p1", 41, 1500, 0});

  set_master(ssw, 41, 50);
  LinkInfo port = get_link(ssw, "p1");
  EXPECT_EQ(port.master, 50);
  EXPECT_FALSE(port.admin_up) << "set_master must not change the admin state";

  set_master(ssw, 41, 51);  // move to another bridge
  EXPECT_EQ(get_link(ssw, "p1").master, 51);

  EXPECT_THROW(set_master(ssw, 41, 99), NetlinkError);  // no such master
}

TEST_F(LinksTest, NearEndMasterIsHonouredAtCreation) {
  NamedNetns& sw = make_netns("sw");
  NamedNetns& b = make_netns("b");
  RouteSocket& ssw = socket_in(sw);
  create_bridge(ssw, "br0", 50, 1500);
  create_veth(ssw, {"p1", 40, 1500, 50}, b.fd(), {"eth0", 41, 1500, 0});
  LinkInfo port = get_link(ssw, "p1");
  EXPECT_EQ(port.master, 50);
  EXPECT_TRUE(port.admin_up);
  auto links = list_links(ssw);
  ASSERT_EQ(links.size(), 3u);  // lo, br0, p1
}

TEST_F(LinksTest, ListLinksReportsEveryLinkWithItsKind) {
  NamedNetns& a = make_netns("a");
  NamedNetns& b = make_netns("b");
  RouteSocket& sa = socket_in(a);
  create_bridge(sa, "br0", 50, 1500);
  create_veth(sa, {"v0", 40, 1400, 50}, b.fd(), {"v1", 41, 1400, 0});
  auto links = list_links(sa);
  std::map<std::string, LinkInfo> by_name;
  for (const auto& l : links) by_name[l.ifname] = l;
  ASSERT_EQ(by_name.size(), 3u);
  EXPECT_EQ(by_name["lo"].ifindex, 1);
  EXPECT_EQ(by_name["br0"].kind, "bridge");
  EXPECT_EQ(by_name["v0"].kind, "veth");
  EXPECT_EQ(by_name["v0"].mtu, 1400u);
  EXPECT_EQ(by_name["v0"].master, 50);
}

TEST_F(LinksTest, GetLinkOfAMissingNameThrows) {
  NamedNetns& a = make_netns();
  RouteSocket& sa = socket_in(a);
  try {
    get_link(sa, "nosuch0");
    FAIL() << "get_link of a missing link succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("nosuch0"), std::string::npos) << e.what();
  }
  LinkInfo lo = get_link(sa, "lo");
  EXPECT_EQ(lo.ifindex, 1);
}

}  // namespace
}  // namespace scalelab::nl
