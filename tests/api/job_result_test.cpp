// JobResult's verdicts: which ranks failed on their own, which the job stopped, which came first.
#include <gtest/gtest.h>

#include "scalelab/job.h"

namespace {

using clock_type = std::chrono::steady_clock;

scalelab::RankResult rank(int r, int status, bool stopped, int ended_ms) {
  scalelab::RankResult out;
  out.rank = r;
  out.status = status;
  out.stopped = stopped;
  out.ended = clock_type::time_point(std::chrono::milliseconds(ended_ms));
  return out;
}

TEST(JobResult, AllZeroIsOk) {
  scalelab::JobResult j;
  j.ranks = {rank(0, 0, false, 1), rank(1, 0, false, 2)};
  EXPECT_TRUE(j.ok());
  EXPECT_TRUE(j.failed_ranks().empty());
  EXPECT_EQ(j.first_failure(), nullptr);
}

TEST(JobResult, FailedOnTheirOwnAreNotTheStoppedOnes) {
  scalelab::JobResult j;
  j.ranks = {rank(0, 143, true, 9), rank(1, 3, false, 5), rank(2, 7, false, 2), rank(3, 0, false, 1)};
  EXPECT_FALSE(j.ok());
  EXPECT_EQ(j.failed_ranks(), (std::vector<int>{1, 2}));
  EXPECT_EQ(j.stopped_ranks(), (std::vector<int>{0}));
  ASSERT_NE(j.first_failure(), nullptr);
  EXPECT_EQ(j.first_failure()->rank, 2);  // ended first
}

TEST(JobResult, TimedOutIsNotOkEvenWhenEveryStatusIsZero) {
  scalelab::JobResult j;
  j.ranks = {rank(0, 0, false, 1)};
  j.timed_out = true;
  EXPECT_FALSE(j.ok());
}

}  // namespace
