// What every verb passes on from a failed run: the exit status and the faults in force.
#include "emulator/cli/cli_support.h"

#include <gtest/gtest.h>

namespace scalelab::cli {
namespace {

TEST(CliSupport, AnOrdinaryRankStatusPassesOnAnythingElseIsOne) {
  EXPECT_EQ(exit_status_of_rank(3), 3);
  EXPECT_EQ(exit_status_of_rank(125), 125);
  EXPECT_EQ(exit_status_of_rank(126), 1) << "not executable";
  EXPECT_EQ(exit_status_of_rank(127), 1) << "not found";
  EXPECT_EQ(exit_status_of_rank(143), 1) << "killed by SIGTERM";
  EXPECT_EQ(exit_status_of_rank(0), 1) << "a failure is never reported as success";
  EXPECT_EQ(exit_status_of_rank(-1), 1) << "no rank";
}

TEST(CliSupport, FaultsInForceAreOneSuffixOrNothing) {
  EXPECT_EQ(faults_in_force_suffix({}), "");
  EXPECT_EQ(faults_in_force_suffix({"link_down gpu2-leaf0"}), "; faults in force: link_down gpu2-leaf0");
  EXPECT_EQ(faults_in_force_suffix({"link_down gpu2-leaf0", "nic_down gpu3:nic0"}),
            "; faults in force: link_down gpu2-leaf0, nic_down gpu3:nic0");
}

}  // namespace
}  // namespace scalelab::cli
