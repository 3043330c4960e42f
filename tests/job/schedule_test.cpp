#include "emulator/job/schedule.h"

#include <map>

#include <gtest/gtest.h>

#include "test_domains.h"

namespace scalelab::job {
namespace {

using testing::domains;

JobSpec dense(int tp, int pp, int dp, int micro_batches) {
  JobSpec s;
  s.name = "t";
  s.parallel.tp = tp, s.parallel.pp = pp, s.parallel.dp = dp;
  s.layers_per_stage = 2;
  s.micro_batches = micro_batches;
  s.layer.tp_bytes = 1024;
  s.layer.forward_ns = 1000;
  s.layer.backward_ns = 2000;
  s.activation_bytes = 4096;
  s.gradient_bytes = 10000;
  s.buckets = 3;
  return s;
}

std::string pp_sequence(const StepProgram& p) {
  std::string s;
  for (const auto& op : p.ops)
    if (op.kind == OpKind::send) s += "S";
    else if (op.kind == OpKind::recv) s += "R";
  return s;
}

TEST(Schedule, OneForwardOneBackwardOrder) {
  auto job = dense(1, 2, 1, 3);
  auto l = make_layout(job.parallel, domains(2, 1), "j");
  // Stage 0: one warm-up forward, then F1 B0 F2 B1, then B2 (sends forward, receives gradients).
  EXPECT_EQ(pp_sequence(compile_step(job, l, 0, 0)), "SSRSRR");
  // Last stage: no warm-up: F0 B0 F1 B1 F2 B2.
  EXPECT_EQ(pp_sequence(compile_step(job, l, 1, 0)), "RSRSRS");
  for (const auto& op : compile_step(job, l, 1, 0).ops)
    if (op.kind == OpKind::send || op.kind == OpKind::recv) EXPECT_EQ(op.peer, 0);
}

TEST(Schedule, MiddleStageWarmsUpByItsDistanceFromTheEnd) {
  auto job = dense(1, 4, 1, 4);
  auto l = make_layout(job.parallel, domains(4, 1), "j");
  // Stage 1 of 4: 2 warm-up forwards (each R then S), 2 steady pairs, 2 cool-down backwards.
  EXPECT_EQ(pp_sequence(compile_step(job, l, 1, 0)), "RSRS" "RSRS" "RSRS" "RSRS");
  int forward_sends = 0;
  for (const auto& op : compile_step(job, l, 1, 0).ops)
    if (op.kind == OpKind::send && op.peer == 2) ++forward_sends;
  EXPECT_EQ(forward_sends, 4);
}

TEST(Schedule, TensorParallelTwicePerLayerEachWayAndBucketsOverlapTheLastBackward) {
  auto job = dense(2, 1, 2, 2);
  auto l = make_layout(job.parallel, domains(4, 2), "j");
  auto p = compile_step(job, l, 0, 0);
  int tp = 0, dp = 0;
  std::uint64_t dp_bytes = 0;
  std::size_t first_bucket = 0, last_tp = 0;
  for (std::size_t i = 0; i < p.ops.size(); ++i) {
    const auto& op = p.ops[i];
    if (op.kind != OpKind::collective) continue;
    if (op.group == GroupKind::tp) ++tp, last_tp = i;
    if (op.group == GroupKind::dp) {
      if (!dp++) first_bucket = i;
      dp_bytes += op.bytes;
      EXPECT_TRUE(op.async);
    }
  }
  EXPECT_EQ(tp, 4 * 2 * 2);  // 2 forward + 2 backward per layer, 2 layers, 2 micro-batches
  EXPECT_EQ(dp, 3);
  EXPECT_EQ(dp_bytes, 10000u);
  EXPECT_LT(first_bucket, last_tp) << "the first bucket must start while backward still runs";
  EXPECT_EQ(p.ops.back().kind, OpKind::wait_all);
}

TEST(Schedule, WithoutOverlapBucketsFollowTheBackward) {
  auto job = dense(2, 1, 2, 2);
  job.overlap = false;
  auto l = make_layout(job.parallel, domains(4, 2), "j");
  auto p = compile_step(job, l, 0, 0);
  bool seen_dp = false;
  for (const auto& op : p.ops) {
    if (op.kind == OpKind::collective && op.group == GroupKind::dp) seen_dp = true;
    if (seen_dp) EXPECT_NE(op.kind == OpKind::collective ? op.group : GroupKind::dp, GroupKind::tp);
  }
  EXPECT_TRUE(seen_dp);
}

// What NCCL requires of a communicator: every member issues the same collectives in the same
// order, and an alltoallv's sizes agree pairwise.
TEST(Schedule, GroupsIssueMatchingOperations) {
  JobSpec job = dense(2, 2, 0, 3);
  job.parallel.ep = 2;
  job.moe = MoeSpec{};
  job.moe->experts_per_rank = 2;
  job.moe->tokens = 100;
  job.moe->token_bytes = 16;
  job.moe->top_k = 2;
  job.moe->skew = 1.0;
  auto l = make_layout(job.parallel, domains(16, 4), "j");
  std::vector<StepProgram> programs;
  for (int r = 0; r < 16; ++r) programs.push_back(compile_step(job, l, r, 3));
  for (const auto& g : l.groups) {
    if (g.members.size() < 2 || g.kind == GroupKind::pp) continue;
    auto sequence = [&](int r) {
      std::vector<std::pair<int, std::uint64_t>> s;
      for (const auto& op : programs[r].ops)
        if (op.kind == OpKind::collective && op.group == g.kind) s.push_back({static_cast<int>(op.coll), op.coll == Coll::alltoallv ? 0 : op.bytes});
      return s;
    };
    for (int r : g.members) EXPECT_EQ(sequence(r), sequence(g.members.front())) << group_kind_name(g.kind) << " rank " << r;
    if (g.kind != GroupKind::ep) continue;
    std::map<int, std::vector<const Op*>> a2a;
    for (int r : g.members)
      for (const auto& op : programs[r].ops)
        if (op.kind == OpKind::collective && op.coll == Coll::alltoallv) a2a[r].push_back(&op);
    for (std::size_t k = 0; k < a2a[g.members[0]].size(); ++k)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2; ++j)
          EXPECT_EQ(a2a[g.members[i]][k]->send_counts[j], a2a[g.members[j]][k]->recv_counts[i]);
  }
}

TEST(Schedule, PhaseNamesFollowTheJob) {
  auto job = dense(2, 2, 0, 1);
  auto l = make_layout(job.parallel, domains(8, 4), "j");
  EXPECT_EQ(phase_names(job, l), (std::vector<std::string>{"compute", "tp", "pp", "dp"}));
}

}  // namespace
}  // namespace scalelab::job

namespace scalelab::job {
namespace {

TEST(Schedule, InferencePrefillSendsKvBlocksThatDecodeReceivesThenDecodesEveryToken) {
  auto job = parse_job(R"({"name": "pd", "parallel": {"tp": 2, "pp": 2}, "layers_per_stage": 2,
    "inference": {"requests": 3, "rate": 1000, "prefill": {"compute": "100us", "tp_bytes": 4096},
                  "kv_bytes": 10000, "block_bytes": 4096, "decode": {"tokens": 5, "compute": "10us", "tp_bytes": 512}}})", "pd.json");
  auto l = make_layout(job.parallel, domains(4, 2), "pd.json");
  const auto prefill = compile_step(job, l, 0, 0), decode = compile_step(job, l, 2, 0);
  std::uint64_t sent = 0, received = 0, idle = 0;
  int decode_tp = 0, blocks = 0;
  for (const auto& op : prefill.ops) {
    if (op.kind == OpKind::send) {
      sent += op.bytes, ++blocks;
      EXPECT_TRUE(op.async);
    }
    if (op.kind == OpKind::compute && op.phase == "idle") idle += op.ns;
  }
  for (const auto& op : decode.ops) {
    if (op.kind == OpKind::recv) {
      received += op.bytes;
      EXPECT_EQ(op.peer, 0);
    }
    if (op.kind == OpKind::collective) decode_tp += op.bytes == 512;
  }
  EXPECT_EQ(sent, 3u * 10000);
  EXPECT_EQ(received, sent);
  EXPECT_EQ(blocks, 3 * 3);             // 4096 + 4096 + 1808 per request
  EXPECT_EQ(decode_tp, 3 * 5 * 2);      // per request, token and layer
  EXPECT_EQ(idle, 3u * (1000000 - 100000));  // 1 ms between arrivals, 100 us of it prefill
  EXPECT_EQ(phase_names(job, l), (std::vector<std::string>{"compute", "tp", "kv transfer"}));
}

TEST(Schedule, InferenceNeedsTwoStagesAndNoTrainingKeys) {
  EXPECT_THROW(parse_job(R"({"name": "pd", "parallel": {"pp": 3}, "inference": {"kv_bytes": 8}})", "j"), JobError);
  EXPECT_THROW(parse_job(R"({"name": "pd", "parallel": {"pp": 2}, "micro_batches": 2, "inference": {"kv_bytes": 8}})", "j"), JobError);
  EXPECT_THROW(parse_job(R"({"name": "pd", "parallel": {"pp": 2}, "inference": {}})", "j"), JobError);
}

}  // namespace
}  // namespace scalelab::job
