#include "emulator/runtime/neighbour_limits.h"

#include <gtest/gtest.h>

namespace scalelab::runtime {
namespace {

TEST(NeighbourLimitsFor, RaisesEachThresholdToItsMultipleOfTheEntries) {
  EXPECT_EQ(limits_for(3000, {128, 512, 1024}), (NeighbourLimits{3000, 6000, 12000}));
}

TEST(NeighbourLimitsFor, NeverLowersWhatIsAlreadyHigher) {
  EXPECT_EQ(limits_for(100, {128, 512, 1024}), (NeighbourLimits{128, 512, 1024}));
  EXPECT_EQ(limits_for(1000, {4096, 512, 100000}), (NeighbourLimits{4096, 2000, 100000}));
}

}  // namespace
}  // namespace scalelab::runtime
