#include "emulator/plan/ipv4.h"

#include <gtest/gtest.h>

using namespace scalelab::plan;

TEST(Ipv4, RoundTripsDottedQuads) {
  EXPECT_EQ(ipv4_to_string(ipv4_from_string("198.19.0.1")), "198.19.0.1");
  EXPECT_EQ(ipv4_from_string("0.0.0.1"), 1u);
  EXPECT_THROW(ipv4_from_string("198.19.0"), std::invalid_argument);
}

TEST(Ipv4, SubnetContains) {
  Subnet s{ipv4_from_string("198.18.0.0"), 15};
  EXPECT_TRUE(s.contains(ipv4_from_string("198.19.255.255")));
  EXPECT_FALSE(s.contains(ipv4_from_string("198.20.0.0")));
  EXPECT_EQ(s.to_string(), "198.18.0.0/15");
}

TEST(SubnetPool, AllocatesAlignedSubnetsInOrder) {
  SubnetPool pool("test", {ipv4_from_string("198.19.0.0"), 24});
  EXPECT_EQ(pool.allocate(2, true).to_string(), "198.19.0.0/31");
  EXPECT_EQ(pool.allocate(2, false).to_string(), "198.19.0.4/30");  // a bridge keeps network/broadcast
  EXPECT_EQ(pool.allocate(5, false).to_string(), "198.19.0.8/29");
  EXPECT_EQ(pool.allocate(14, false).to_string(), "198.19.0.16/28");
  EXPECT_EQ(pool.allocate(15, false).to_string(), "198.19.0.32/27");  // 15 + 2 > 16
}

TEST(SubnetPool, ExhaustionNamesThePool) {
  SubnetPool pool("scale-up", {ipv4_from_string("198.18.0.0"), 30});
  pool.allocate(2, false);
  try {
    pool.allocate(2, true);
    FAIL() << "expected exhaustion";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("scale-up"), std::string::npos);
  }
}
