#include "emulator/netlink/addresses.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "emulator/netlink/error.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

class AddressesTest : public test::VethPairTest {};

bool has_address(const std::vector<AddressInfo>& list, int ifindex, const std::string& cidr) {
  return std::any_of(list.begin(), list.end(), [&](const AddressInfo& a) { return a.ifindex == ifindex && a.cidr == cidr; });
}

TEST_F(AddressesTest, AddedAddressIsListedOnItsInterface) {
  add_address(*sa_, kA0, "198.18.255.1/30");
  auto list = list_ipv4_addresses(*sa_);
  EXPECT_TRUE(has_address(list, kA0, "198.18.255.1/30"));
  // Only A's address is in A; B has none yet (its lo is down and unaddressed).
  EXPECT_TRUE(list_ipv4_addresses(*sb_).empty());
}

TEST_F(AddressesTest, SeveralAddressesOnSeveralInterfaces) {
  add_address(*sa_, kA0, "198.18.255.1/30");
  add_address(*sa_, kA0, "198.19.7.1/24");
  add_address(*sb_, kB0, "198.18.255.2/30");
  auto a = list_ipv4_addresses(*sa_);
  auto b = list_ipv4_addresses(*sb_);
  EXPECT_EQ(a.size(), 2u);
  EXPECT_TRUE(has_address(a, kA0, "198.18.255.1/30"));
  EXPECT_TRUE(has_address(a, kA0, "198.19.7.1/24"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(has_address(b, kB0, "198.18.255.2/30"));
}

TEST_F(AddressesTest, LoopbackAddressAppearsOnceLoIsUp) {
  set_link_up(*sa_, 1, true);
  auto list = list_ipv4_addresses(*sa_);
  EXPECT_TRUE(has_address(list, 1, "127.0.0.1/8"));
}

TEST_F(AddressesTest, DuplicateAddressThrows) {
  add_address(*sa_, kA0, "198.18.255.1/30");
  try {
    add_address(*sa_, kA0, "198.18.255.1/30");
    FAIL() << "duplicate address accepted";
  } catch (const NetlinkError& e) {
    EXPECT_NE(std::string(e.what()).find("198.18.255.1/30"), std::string::npos) << e.what();
  }
}

TEST_F(AddressesTest, MalformedAddressOrMissingInterfaceThrows) {
  EXPECT_THROW(add_address(*sa_, kA0, "not-an-address"), NetlinkError);
  EXPECT_THROW(add_address(*sa_, 99, "198.18.255.9/30"), NetlinkError);
  EXPECT_TRUE(list_ipv4_addresses(*sa_).empty());
}

}  // namespace
}  // namespace scalelab::nl
