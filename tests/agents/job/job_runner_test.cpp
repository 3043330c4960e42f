// Jobs over the in-process transport: every group on its own communicator and stream, odd group
// shapes, every operation's data checked, the figures filled in, and a failure named by group.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

#include "collectives/cluster.h"
#include "collectives/setup.h"
#include "job/job_runner.h"

namespace scalelab::agent {
namespace {

namespace job = scalelab::job;

struct Outcome {
  std::vector<JobReport> reports;
  std::vector<std::string> errors;
};

Outcome run_inprocess_job(const job::JobSpec& spec, int n, int domain_size, JobOptions jo, Millis step_timeout = Millis(5000),
                          int fail_rank = -1) {
  const ClusterInfo cluster = make_inprocess_cluster(n, domain_size);
  const auto layout = job::make_layout(spec.parallel, domains_of(cluster), "test");
  auto world_fabric = std::make_shared<InProcessFabric>(n);
  std::mutex mu;
  std::map<std::pair<int, int>, std::shared_ptr<InProcessFabric>> fabrics;
  CommOptions co;
  co.step_timeout = step_timeout;
  Outcome out;
  out.reports.resize(n);
  std::vector<std::thread> ts;
  for (int r = 0; r < n; ++r)
    ts.emplace_back([&, r] {
      try {
        auto world = connect_inprocess_comm(world_fabric, cluster, r, co, Millis(5000));
        GroupConnector connect = [&](const job::Group& g) {
          const auto sub = sub_cluster(cluster, g.members, 0);
          std::shared_ptr<InProcessFabric> f;
          {
            std::lock_guard lk(mu);
            auto& slot = fabrics[{static_cast<int>(g.kind), g.index}];
            if (!slot) slot = std::make_shared<InProcessFabric>(sub.world_size);
            f = slot;
          }
          if (r == fail_rank && g.kind == job::GroupKind::pp) throw CollectiveError(PeerRoute{r, 0}, "inprocess", "injected");
          return connect_inprocess_comm(f, sub, layout.group_rank(g.kind, r), co, Millis(2000));
        };
        auto tier = [&](int a, int b) { return std::string(tier_name(tier_between(cluster, a, b))); };
        out.reports[r] = run_job(*world, connect, spec, layout, DType::float32, jo, tier);
      } catch (const std::exception& e) {
        world_fabric->fail(r, e.what());
        std::lock_guard lk(mu);

        out.errors.push_back(e.what());
      }
    });
  for (auto& t : ts) t.join();
  return out;
}

job::JobSpec dense(int tp, int pp, int dp) {
  job::JobSpec s;
  s.name = "t";
  s.source = "test";
  s.parallel.tp = tp, s.parallel.pp = pp, s.parallel.dp = dp;
  s.layers_per_stage = 2;
  s.micro_batches = 3;
  s.layer.tp_bytes = 12 * 1024;
  s.layer.forward_ns = 20000;
  s.layer.backward_ns = 40000;
  s.activation_bytes = 8 * 1024 + 3;  // not a multiple of any element size
  s.gradient_bytes = 64 * 1024;
  s.buckets = 3;
  return s;
}

JobOptions quick() {
  JobOptions jo;
  jo.steps = 2;
  jo.warmup_steps = 1;
  jo.dilation = 1;
  return jo;
}

TEST(JobRunner, ThreeDimensionalJobOnOddGroupsChecksEveryOperation) {
  // tp 2 (in domains of 2), pp 3, dp 2: 12 ranks; sequence-parallel TP for the other collectives.
  auto spec = dense(2, 3, 2);
  spec.layer.tp_mode = job::TpMode::sequence;
  auto out = run_inprocess_job(spec, 12, 2, quick());
  ASSERT_TRUE(out.errors.empty()) << out.errors.front();
  const auto& r = out.reports[0];
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_TRUE(r.steps[0].warmup);
  EXPECT_EQ(r.wrong, 0);
  EXPECT_EQ(r.steps[0].wrong, 0);
  EXPECT_EQ(r.steps[1].wrong, -1) << "timed steps are not checked";
  for (const auto& st : r.steps) {
    EXPECT_GT(st.seconds, 0);
    EXPECT_GE(st.seconds, st.compute_seconds * 0.99);
    ASSERT_EQ(st.phases.size(), 4u);  // compute tp pp dp
    for (const auto& p : st.phases) EXPECT_GT(p.seconds, 0) << p.name;
  }
  ASSERT_EQ(r.groups.size(), 3u);
  for (const auto& g : r.groups) {
    EXPECT_GT(g.busbw_GBps, 0) << job::group_kind_name(g.kind);
    EXPECT_GT(g.ops_per_step, 0);
  }
  EXPECT_EQ(r.groups[0].tier, "scale_up");   // tp inside the domain
  EXPECT_EQ(r.groups[1].tier, "scale_out");  // pp across
  // Every rank agrees on the figures (they are reductions across the world).
  for (const auto& other : out.reports) EXPECT_DOUBLE_EQ(other.steps[1].seconds, r.steps[1].seconds);
}

TEST(JobRunner, ExpertParallelAlltoallvWithSkewIsCorrect) {
  job::JobSpec s = dense(1, 1, 0);
  s.parallel.ep = 3;
  s.moe = job::MoeSpec{};
  s.moe->experts_per_rank = 2;
  s.moe->tokens = 60;
  s.moe->token_bytes = 64;
  s.moe->top_k = 2;
  s.moe->skew = 1.5;
  auto out = run_inprocess_job(s, 6, 0, quick());
  ASSERT_TRUE(out.errors.empty()) << out.errors.front();
  EXPECT_EQ(out.reports[0].wrong, 0);
  std::vector<std::string> names;
  for (const auto& p : out.reports[0].steps[1].phases) names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"compute", "dp", "ep dispatch", "ep combine"}));
}

TEST(JobRunner, ComputeIsDilated) {
  auto spec = dense(1, 1, 2);
  spec.gradient_bytes = 0;
  spec.layer.forward_ns = 1000;  // 1 us real
  spec.layer.backward_ns = 1000;
  auto jo = quick();
  jo.dilation = 5000;  // → 5 ms per layer per direction: 2 layers × 3 micro-batches × 2 = 60 ms
  auto out = run_inprocess_job(spec, 2, 0, jo);
  ASSERT_TRUE(out.errors.empty()) << out.errors.front();
  EXPECT_GE(out.reports[0].steps[1].compute_seconds, 0.060);
  EXPECT_LT(out.reports[0].steps[1].compute_seconds, 0.5);
}

TEST(JobRunner, AFailedGroupEndsEveryRankWithANamedError) {
  auto out = run_inprocess_job(dense(2, 2, 1), 4, 2, quick(), Millis(1500), /*fail_rank=*/3);
  EXPECT_EQ(out.errors.size(), 4u);
  bool named = false;
  for (const auto& e : out.errors) named |= e.find("pp group") != std::string::npos || e.find("injected") != std::string::npos;
  EXPECT_TRUE(named);
}

}  // namespace
}  // namespace scalelab::agent

namespace scalelab::agent {
namespace {

TEST(JobRunner, InferenceReportsLatencyPerTokenAndChecksTheKvCache) {
  auto spec = job::parse_job(R"({"name": "pd", "parallel": {"tp": 2, "pp": 2}, "layers_per_stage": 2,
    "inference": {"requests": 2, "rate": 0, "prefill": {"compute": "100us", "tp_bytes": 4096},
                  "kv_bytes": 10000, "block_bytes": 4096, "decode": {"tokens": 3, "compute": "1ms", "tp_bytes": 512}}})", "pd.json");
  auto out = run_inprocess_job(spec, 4, 2, quick());
  ASSERT_TRUE(out.errors.empty()) << out.errors.front();
  const auto& r = out.reports[0];
  EXPECT_EQ(r.wrong, 0);
  // 1 ms of compute per token on the decode ranks (2 layers of 0.5 ms), plus its TP all_reduces.
  EXPECT_GE(r.mean_token_seconds, 0.001);
  EXPECT_LT(r.mean_token_seconds, 0.05);
}

}  // namespace
}  // namespace scalelab::agent

namespace scalelab::agent {
namespace {

// A drill reads a job's throughput from the step events: each must span the step's period (from
// the previous step's end), not the rank's own work. Prefill here finishes its part (100 us and
// asynchronous KV sends) long before decode has decoded 3 tokens of 5 ms; the ranks run in
// lockstep, so both see the same period and the prefill rank's throughput is not inflated.
TEST(JobRunner, StepEventsSpanTheStepsPeriodOnEveryRank) {
  auto spec = job::parse_job(R"({"name": "pd", "parallel": {"tp": 1, "pp": 2}, "layers_per_stage": 1,
    "inference": {"requests": 2, "rate": 0, "prefill": {"compute": "100us"},
                  "kv_bytes": 8192, "decode": {"tokens": 3, "compute": "5ms"}}})", "pd.json");
  auto jo = quick();
  jo.steps = 4;
  std::mutex mu;
  std::map<int, std::vector<StepEvent>> events;
  jo.on_step = [&](const StepEvent& e) {
    std::lock_guard lk(mu);
    events[e.rank].push_back(e);
  };
  auto out = run_inprocess_job(spec, 2, 1, jo);
  ASSERT_TRUE(out.errors.empty()) << out.errors.front();
  ASSERT_EQ(events[0].size(), 5u);
  ASSERT_EQ(events[1].size(), 5u);
  for (int rank : {0, 1})
    for (std::size_t i = 1; i < events[rank].size(); ++i) {
      const auto& e = events[rank][i];
      EXPECT_NEAR(e.start_unix, events[rank][i - 1].end_unix, 2e-3) << "rank " << rank << " step " << i << ": periods tile";
      EXPECT_NEAR(e.throughput_GBps, e.bytes / (e.end_unix - e.start_unix) / 1e9, 1e-6 + e.throughput_GBps * 0.01);
    }
  for (std::size_t i = 1; i < 5; ++i) {
    const double prefill = events[0][i].end_unix - events[0][i].start_unix, decode = events[1][i].end_unix - events[1][i].start_unix;
    EXPECT_GE(prefill, 0.025) << "step " << i << ": 2 requests × 3 tokens × 5 ms of decode pace the prefill rank too";
    EXPECT_NEAR(prefill, decode, 0.5 * decode) << "step " << i;
  }
}

}  // namespace
}  // namespace scalelab::agent
