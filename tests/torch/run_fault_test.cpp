// `scalelab run` names the faults in force when its ranks fail: a workload that knows nothing of
// scalelab (torch, MPI) reports a timeout or a reset, never which link was down.
#include <gtest/gtest.h>

#include "cluster_fixture.h"
#include "torch_support.h"

using namespace scalelab;

TEST(RunFaults, AFailedRunNamesTheLinkThatIsDown) {
  SCALELAB_REQUIRE_ROOT();
  fixtures::LiveCluster cluster(torch_tests::tiny());
  auto healthy = fixtures::run_scalelab({"run", cluster.name(), "--", "sh", "-c", "[ $RANK = 1 ] && exit 4; exec sleep 30"});
  EXPECT_EQ(healthy.status, 4) << healthy.output;
  EXPECT_EQ(healthy.output.find("faults in force"), std::string::npos) << "no fault was injected:\n" << healthy.output;

  auto inject = fixtures::run_scalelab({"inject", cluster.name(), "link_down", "link:gpu0-leaf0"});
  ASSERT_EQ(inject.status, 0) << inject.output;
  // gpu0 cannot reach gpu2 (its rail peer) any more: ping fails, the rank exits non-zero.
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--timeout", "20", "--", "sh", "-c",
                                   "[ $RANK = 0 ] || exec sleep 30; ping -c 1 -W 1 " + cluster.address("gpu2", "nic0") + " >/dev/null"});
  EXPECT_NE(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("rank 0 gpu0 exited with status"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("; faults in force: link_down gpu0-leaf0"), std::string::npos) << r.output;
}
