// The fault helpers build what `scalelab inject` takes; a fault on a cluster that is not up is
// refused with a typed error.
#include <gtest/gtest.h>
#include <unistd.h>

#include "scalelab/cluster.h"

namespace {

TEST(FaultHelpers, BuildActionAndTarget) {
  auto f = scalelab::link_down("rail:1");
  EXPECT_EQ(f.action, "link_down");
  EXPECT_EQ(f.target, "rail:1");
  EXPECT_EQ(f.converge_after, "0us");
  EXPECT_EQ(scalelab::link_up("rail:1", "100ms").converge_after, "100ms");
  EXPECT_EQ(scalelab::nic_down("gpu1:nic0").action, "nic_down");
  EXPECT_EQ(scalelab::nic_up("gpu1:nic0").action, "nic_up");
  auto d = scalelab::degrade("link:gpu0-leaf0", {.rate = "100Gb/s", .loss = "1%"});
  EXPECT_EQ(d.action, "degrade");
  EXPECT_EQ(d.rate, "100Gb/s");
  EXPECT_EQ(d.loss, "1%");
  EXPECT_TRUE(d.delay.empty());
  EXPECT_EQ(scalelab::restore("rail:0").action, "restore");
  EXPECT_EQ(scalelab::partition("host:0", "host:1").target, "host:0/host:1");
  EXPECT_EQ(scalelab::heal().action, "heal");
  EXPECT_TRUE(scalelab::reconverge().target.empty());
}

TEST(FaultHelpers, ClusterThatIsNotUpIsRefusedTyped) {
  auto c = scalelab::Cluster::attach("ap-not-up-0");
  EXPECT_FALSE(c.owned());
  if (geteuid() == 0)
    EXPECT_THROW(c.inject(scalelab::link_down("rail:0")), scalelab::NotFound);
  else
    EXPECT_THROW(c.inject(scalelab::link_down("rail:0")), scalelab::NotPermitted);
  EXPECT_THROW(c.status(), scalelab::NotFound);
}

}  // namespace
