#include "emulator/plan/neighbours.h"

#include <gtest/gtest.h>

#include "emulator/plan/plan.h"
#include "test_topologies.h"

namespace scalelab::plan {
namespace {

TEST(NeighbourEntriesBound, TinyCountsEveryOrderedPairOfEachSegment) {
  // 2 NVLink pairs (2 each), 2 leaves with br0 + 2 GPUs (3 × 2 each), 2 leaf-spine /31s (2 each).
  EXPECT_EQ(neighbour_entries_bound(build_plan(fixtures::tiny_topology())), 2u + 2 + 6 + 6 + 2 + 2);
}

TEST(NeighbourEntriesBound, H100x2) {
  // 2 domains of 8 GPUs (8 × 7 each), 8 leaves with br0 + 2 GPUs (3 × 2 each), 8 × 2 leaf-spine links.
  EXPECT_EQ(neighbour_entries_bound(build_plan(fixtures::load_shipped("h100x2.json"))), 2u * 56 + 8 * 6 + 16 * 2);
}

TEST(NeighbourEntriesBound, GrowsWithTheSquareOfALeafsPorts) {
  // rail128: 16 hosts, so each of the 8 leaves holds 16 GPUs and its gateway.
  const auto bound = neighbour_entries_bound(build_plan(fixtures::load_shipped("rail128.json")));
  EXPECT_GE(bound, 8u * 17 * 16 + 16u * 8 * 7);
  EXPECT_GT(bound, 1024u) << "more than the kernel's default gc_thresh3: the runtime must raise it";
}

}  // namespace
}  // namespace scalelab::plan
