#include "emulator/job/layout.h"

#include <gtest/gtest.h>

#include "test_domains.h"

namespace scalelab::job {
namespace {

using testing::domains;

Parallel par(int tp, int pp, int dp, int ep = 1, std::vector<GroupKind> order = {GroupKind::tp, GroupKind::dp, GroupKind::pp}) {
  Parallel p;
  p.tp = tp, p.pp = pp, p.dp = dp, p.ep = ep, p.order = order;
  return p;
}

TEST(Layout, MegatronDefaultOrderTpInnermostPpOutermost) {
  // 16 ranks, tp 4, dp 2, pp 2 (tp-dp-pp): rank = tp + 4 (dp + 2 pp), as Megatron-LM's RankGenerator.
  auto l = make_layout(par(4, 2, 0), domains(16, 8), "j");
  EXPECT_EQ(l.parallel.dp, 2);
  EXPECT_EQ(l.group_of(GroupKind::tp, 5).members, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(l.group_of(GroupKind::dp, 5).members, (std::vector<int>{1, 5}));
  EXPECT_EQ(l.group_of(GroupKind::pp, 5).members, (std::vector<int>{5, 13}));
  EXPECT_EQ(l.group_rank(GroupKind::pp, 13), 1);
  EXPECT_EQ(l.group_rank(GroupKind::tp, 6), 2);
  int tp_groups = 0, pp_groups = 0;
  for (const auto& g : l.groups) tp_groups += g.kind == GroupKind::tp, pp_groups += g.kind == GroupKind::pp;
  EXPECT_EQ(tp_groups, 4);
  EXPECT_EQ(pp_groups, 8);
}

TEST(Layout, OtherOrderPutsDpOutermost) {
  auto l = make_layout(par(2, 2, 2, 1, {GroupKind::tp, GroupKind::pp, GroupKind::dp}), domains(8, 4), "j");
  EXPECT_EQ(l.group_of(GroupKind::pp, 0).members, (std::vector<int>{0, 2}));
  EXPECT_EQ(l.group_of(GroupKind::dp, 0).members, (std::vector<int>{0, 4}));
}

TEST(Layout, ExpertParallelSplitsDataParallel) {
  // tp 2, dp 8, ep 4: the EP groups are the innermost 4 of each DP group.
  auto l = make_layout(par(2, 1, 8, 4), domains(16, 8), "j");
  EXPECT_EQ(l.group_of(GroupKind::dp, 0).members, (std::vector<int>{0, 2, 4, 6, 8, 10, 12, 14}));
  EXPECT_EQ(l.group_of(GroupKind::ep, 0).members, (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(l.group_of(GroupKind::ep, 9).members, (std::vector<int>{9, 11, 13, 15}));
  EXPECT_EQ(l.group_rank(GroupKind::ep, 11), 1);
}

TEST(Layout, EveryRankInExactlyOneGroupOfEachKind) {
  auto l = make_layout(par(2, 3, 0, 2), domains(24, 4), "j");
  for (GroupKind k : kGroupKinds) {
    std::vector<int> seen(24, 0);
    for (const auto& g : l.groups)
      if (g.kind == k)
        for (int r : g.members) ++seen[r];
    for (int r = 0; r < 24; ++r) EXPECT_EQ(seen[r], 1) << group_kind_name(k) << " rank " << r;
  }
}

TEST(Layout, RefusesSizesThatDoNotMultiplyToTheWorld) {
  try {
    make_layout(par(4, 2, 3), domains(16, 8), "j.json");
    FAIL();
  } catch (const JobError& e) {
    EXPECT_EQ(e.json_pointer(), "/parallel");
    EXPECT_NE(e.message().find("16 GPUs"), std::string::npos) << e.what();
  }
  EXPECT_THROW(make_layout(par(3, 1, 0), domains(16, 8), "j"), JobError);
}

TEST(Layout, RefusesTensorParallelismAcrossScaleUpDomains) {
  try {
    make_layout(par(4, 1, 0), domains(8, 2), "j.json");
    FAIL();
  } catch (const JobError& e) {
    EXPECT_EQ(e.json_pointer(), "/parallel/tp");
    EXPECT_NE(e.message().find("NVLink"), std::string::npos) << e.what();
  }
  // tp outermost would also leave the domain.
  EXPECT_THROW(make_layout(par(2, 1, 2, 1, {GroupKind::dp, GroupKind::tp, GroupKind::pp}), domains(4, 2), "j"), JobError);
}

}  // namespace
}  // namespace scalelab::job
