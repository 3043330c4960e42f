// The hierarchy's tree (collectives/tree.h) and the exchanges over it: rank 0's gather and the
// combine behind barrier, max_across and sum_across.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "collectives/algorithms.h"
#include "collectives/nccl_conventions.h"
#include "collectives/tree.h"
#include "test_util.h"

using namespace scalelab::agent;
using scalelab::agent::testing::run_inprocess;

namespace {

std::vector<int> blocks_of(int n, int domain_size) {
  std::vector<int> d(n);
  for (int r = 0; r < n; ++r) d[r] = domain_size > 0 ? r / domain_size : -1;
  return d;
}

int depth(const std::vector<int>& domains, int rank) {
  int k = 0;
  for (int p = hierarchy_tree(domains, rank).parent; p >= 0; p = hierarchy_tree(domains, p).parent) ++k;
  return k;
}

// Every rank but 0 has one parent that lists it as a child, and rank 0's subtree is the world.
void expect_a_tree(const std::vector<int>& domains) {
  const int n = static_cast<int>(domains.size());
  EXPECT_EQ(hierarchy_tree(domains, 0).parent, -1);
  for (int r = 1; r < n; ++r) {
    const int p = hierarchy_tree(domains, r).parent;
    ASSERT_GE(p, 0) << r;
    const auto kids = hierarchy_tree(domains, p).children;
    EXPECT_EQ(std::count(kids.begin(), kids.end(), r), 1) << "rank " << r << " under " << p;
  }
  const auto all = tree_subtree(domains, 0);
  EXPECT_EQ(static_cast<int>(all.size()), n);
  EXPECT_EQ(std::set<int>(all.begin(), all.end()).size(), static_cast<std::size_t>(n));
}

}  // namespace

TEST(HierarchyTree, MembersHangOffTheirLeaderAndLeadersFormABinaryTree) {
  const auto d = blocks_of(32, 8);  // leaders 0, 8, 16, 24
  expect_a_tree(d);
  EXPECT_EQ(hierarchy_tree(d, 5).parent, 0);
  EXPECT_TRUE(hierarchy_tree(d, 5).children.empty());
  EXPECT_EQ(hierarchy_tree(d, 0).children, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8, 16}));
  EXPECT_EQ(hierarchy_tree(d, 8).parent, 0);
  EXPECT_EQ(hierarchy_tree(d, 24).parent, 8);
  EXPECT_EQ(tree_subtree(d, 8), (std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31}));
}

TEST(HierarchyTree, DepthGrowsWithTheLogOfTheDomains) {
  const auto d = blocks_of(1024, 8);  // 128 domains: leaders 7 deep below rank 0, members one more
  expect_a_tree(d);
  int deepest = 0;
  for (int r = 0; r < 1024; ++r) deepest = std::max(deepest, depth(d, r));
  EXPECT_EQ(deepest, 8);
}

TEST(HierarchyTree, RanksWithoutADomainAreDomainsOfTheirOwn) {
  const auto d = blocks_of(9, 0);  // all -1
  expect_a_tree(d);
  EXPECT_EQ(hierarchy_tree(d, 0).children, (std::vector<int>{1, 2}));
  EXPECT_EQ(hierarchy_tree(d, 8).parent, 3);
  // Interleaved ids: ranks 0 and 2 in domain 1, 1 and 3 in domain 0; leaders 0 and 1.
  const std::vector<int> mixed{1, 0, 1, 0};
  expect_a_tree(mixed);
  EXPECT_EQ(hierarchy_tree(mixed, 2).parent, 0);
  EXPECT_EQ(hierarchy_tree(mixed, 3).parent, 1);
  EXPECT_THROW(hierarchy_tree(mixed, 4), std::out_of_range);
}

class TreeExchange : public ::testing::TestWithParam<std::pair<int, int>> {};

// The per-communicator cache agrees with the functions it saves calling: the tree, the subtree
// sizes, the rank's domain and its rail.
TEST(Hierarchy, IsWhatTheTreeAndDomainFunctionsGiveForEveryRank) {
  std::vector<int> interleaved(24);
  for (int r = 0; r < 24; ++r) interleaved[r] = (r % 3) * 7;  // 3 domains of 8, ids 0/7/14, members not contiguous
  for (const auto& domains : {blocks_of(32, 8), blocks_of(12, 4), blocks_of(5, 0), blocks_of(1, 0), interleaved,
                              std::vector<int>{0, 0, -1, 1, 1, 1}}) {
    const bool applicable = hier_applicable(domains);
    for (int rank = 0; rank < static_cast<int>(domains.size()); ++rank) {
      SCOPED_TRACE(::testing::Message() << domains.size() << " ranks, rank " << rank);
      const Hierarchy h = make_hierarchy(domains, rank);
      const TreeLinks t = hierarchy_tree(domains, rank);
      EXPECT_EQ(h.hier_applicable, applicable);
      EXPECT_EQ(h.tree.parent, t.parent);
      EXPECT_EQ(h.tree.children, t.children);
      ASSERT_EQ(h.child_subtree.size(), t.children.size());
      for (std::size_t i = 0; i < t.children.size(); ++i)
        EXPECT_EQ(h.child_subtree[i], tree_subtree(domains, t.children[i]).size());
      EXPECT_EQ(h.subtree_size, tree_subtree(domains, rank).size());
      std::vector<int> local;
      for (int r = 0; r < static_cast<int>(domains.size()); ++r)
        if (r == rank || (domains[rank] >= 0 && domains[r] == domains[rank])) local.push_back(r);
      EXPECT_EQ(h.local, local);
      if (!applicable) {
        EXPECT_TRUE(h.rail.empty());
        continue;
      }
      const auto at = std::find(local.begin(), local.end(), rank) - local.begin();
      std::vector<int> rail;  // rank `at` of each domain, domains by id
      for (int id : std::set<int>(domains.begin(), domains.end())) {
        std::vector<int> members;
        for (int r = 0; r < static_cast<int>(domains.size()); ++r)
          if (domains[r] == id) members.push_back(r);
        rail.push_back(members.at(at));
      }
      EXPECT_EQ(h.rail, rail);
      EXPECT_EQ(rail_of(domains, rank), rail);
    }
  }
  EXPECT_THROW(make_hierarchy(blocks_of(4, 2), 4), std::out_of_range);
}

TEST_P(TreeExchange, GatherReachesRankZeroInRankOrderAndCombinesAgreeEverywhere) {
  const auto [n, domain_size] = GetParam();
  const auto errors = run_inprocess(n, domain_size, CommOptions{}, [n = n](Comm& c) {
    const int r = c.rank();
    const int64_t mine[2] = {r, 1000 + r};
    const auto all = gather_to_root(c, mine, sizeof mine);
    if (r == 0) {
      ASSERT_EQ(all.size(), n * sizeof mine);
      for (int k = 0; k < n; ++k) {
        int64_t got[2];
        std::memcpy(got, all.data() + k * sizeof mine, sizeof got);
        EXPECT_EQ(got[0], k);
        EXPECT_EQ(got[1], 1000 + k);
      }
    } else {
      EXPECT_TRUE(all.empty());
    }
    EXPECT_EQ(sum_across(c, r), int64_t{n} * (n - 1) / 2);
    const auto m = max_across(c, std::vector<double>{double(r), -double(r)});
    EXPECT_EQ(m[0], n - 1);
    EXPECT_EQ(m[1], 0);
    barrier(c);
  });
  EXPECT_TRUE(errors.empty()) << errors.front();
}

INSTANTIATE_TEST_SUITE_P(Shapes, TreeExchange,
                         ::testing::Values(std::pair{1, 0}, std::pair{2, 0}, std::pair{7, 0}, std::pair{12, 4},
                                           std::pair{13, 4}, std::pair{16, 8}),
                         [](const auto& info) {
                           return "n" + std::to_string(info.param.first) + "_d" + std::to_string(info.param.second);
                         });
