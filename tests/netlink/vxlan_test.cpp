// A cross-machine link end: two "machines" (underlay namespaces joined by a veth), each with a
// node namespace whose end of the link is a VXLAN device created through the machine's socket.
// Traffic crosses, the device lives only in the node's namespace, the node cannot reach the
// underlay, and the link takes htb shaping like a veth end.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "emulator/netlink/addresses.h"
#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/vxlan.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

constexpr int kUnderlay = 20, kLink = 30;

class VxlanTest : public test::NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped()) return;
    m1_ = &make_netns("m1");
    m2_ = &make_netns("m2");
    n1_ = &make_netns("n1");
    n2_ = &make_netns("n2");
    s1_ = &socket_in(*m1_);
    s2_ = &socket_in(*m2_);
    // The underlay carries the link's frames plus 50 bytes of VXLAN.
    create_veth(*s1_, {"u0", kUnderlay, 9000, 0}, m2_->fd(), {"u0", kUnderlay, 9000, 0});
    set_link_up(*s2_, kUnderlay, true);
    add_address(*s1_, kUnderlay, "198.18.254.1/30");
    add_address(*s2_, kUnderlay, "198.18.254.2/30");
  }

  int ping(const NamedNetns& from, const std::string& to) {
    std::string cmd = "ip netns exec " + from.name() + " ping -c 1 -W 2 -q " + to + " > /dev/null 2>&1";
    return std::system(cmd.c_str());
  }

  NamedNetns *m1_ = nullptr, *m2_ = nullptr, *n1_ = nullptr, *n2_ = nullptr;
  RouteSocket *s1_ = nullptr, *s2_ = nullptr;
};

TEST_F(VxlanTest, AFrameCrossesTheUnderlayAndTheNodesSeeOnlyTheirLink) {
  create_vxlan(*s1_, {"nic0", kLink, 4200, 4242, "198.18.254.1", "198.18.254.2", kUnderlay}, n1_->fd());
  RequestBatch batch(*s2_);  // the batched form, as a bring-up sends it
  create_vxlan(batch, {"nic0", kLink, 4200, 4242, "198.18.254.2", "198.18.254.1", kUnderlay}, n2_->fd());
  batch.flush();
  RouteSocket& in1 = socket_in(*n1_);
  RouteSocket& in2 = socket_in(*n2_);
  auto end = get_link(in1, "nic0");
  EXPECT_EQ(end.kind, "vxlan");
  EXPECT_EQ(end.ifindex, kLink);
  EXPECT_EQ(end.mtu, 4200u);
  EXPECT_FALSE(end.admin_up) << "created down, as veth ends are, until its qdiscs are on";
  for (const auto& l : list_links(*s1_)) EXPECT_NE(l.kind, "vxlan") << "the device stayed in the machine's namespace";

  set_htb(in1, kLink, {400'000'000, 64'000, 4'214, 4200});
  EXPECT_EQ(list_qdiscs(in1, kLink).front().kind, "htb");
  set_link_up(in1, 1, true);
  set_link_up(in2, 1, true);
  set_link_up(in1, kLink, true);
  set_link_up(in2, kLink, true);
  add_address(in1, kLink, "198.18.253.1/30");
  add_address(in2, kLink, "198.18.253.2/30");
  EXPECT_EQ(ping(*n1_, "198.18.253.2"), 0) << "no frame crossed the VXLAN link";
  EXPECT_NE(ping(*n1_, "198.18.254.2"), 0) << "a node reached the underlay";
  EXPECT_GT(get_link(*s2_, "u0").rx_bytes, 0u);
}

TEST_F(VxlanTest, ATakenVniIsRefusedByName) {
  create_vxlan(*s1_, {"nic0", kLink, 1500, 77, "198.18.254.1", "198.18.254.2", kUnderlay}, n1_->fd());
  try {
    create_vxlan(*s1_, {"nic1", kLink + 1, 1500, 77, "198.18.254.1", "198.18.254.2", kUnderlay}, n2_->fd());
    FAIL() << "two devices of one VNI on one underlay";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("vni 77"), std::string::npos) << e.what();
  }
  EXPECT_THROW(create_vxlan(*s1_, {"nic2", 0, 1500, 78, "not-an-ip", "198.18.254.2", 0}, n2_->fd()), NetlinkError);
}

}  // namespace
}  // namespace scalelab::nl
