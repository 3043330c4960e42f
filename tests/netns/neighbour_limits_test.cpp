// The kernel's neighbour table is shared by every namespace: `up` raises the host's limits when a
// cluster could overflow them, and the last `down` puts the host's own values back.
#include <gtest/gtest.h>

#include "cluster_fixture.h"
#include "emulator/plan/neighbours.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/neighbour_limits.h"

using namespace scalelab;

TEST(NeighbourLimits, RaisedWhileALargeClusterIsUpAndRestoredAfterDown) {
  SCALELAB_REQUIRE_ROOT();
  if (!runtime::ClusterDir::list().empty()) GTEST_SKIP() << "another scalelab cluster is up: the host's limits are not its own now";
  const auto before = runtime::read_host_neighbour_limits();
  const auto topology = fixtures::shipped_topology("rail128.json");
  const auto bound = plan::neighbour_entries_bound(plan::build_plan(topology));
  if (before.gc_thresh2 >= bound + before.gc_thresh1)
    GTEST_SKIP() << "this host's gc_thresh2 " << before.gc_thresh2 << " already fits rail128's " << bound << " entries";
  {
    fixtures::LiveCluster cluster(topology);
    const auto during = runtime::read_host_neighbour_limits();
    EXPECT_GE(during.gc_thresh1, bound);
    EXPECT_GE(during.gc_thresh2, bound + before.gc_thresh1);
    EXPECT_GE(during.gc_thresh3, during.gc_thresh2);
    auto state = runtime::ClusterDir::open(cluster.name())->read_json("state.json");
    ASSERT_TRUE(state);
    EXPECT_EQ((*state)["neighbour_entries"], bound);
  }
  EXPECT_EQ(runtime::read_host_neighbour_limits(), before) << "down did not restore the host's own limits";
}
