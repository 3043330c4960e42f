// run_benchmark over the in-process transport: the rows of a sweep, and the stage times of each row.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "bench/benchmark.h"
#include "test_util.h"

using namespace scalelab::agent;
using scalelab::agent::testing::run_inprocess;

namespace {

// run_benchmark with `cfg` on n in-process ranks; every rank's report (none may throw).
std::vector<BenchReport> bench_inprocess(int n, int domain_size, const BenchConfig& cfg) {
  std::mutex mu;
  std::vector<BenchReport> reps;
  auto errors = run_inprocess(n, domain_size, CommOptions{}, [&](Comm& c) {
    auto rep = run_benchmark(c, cfg);
    std::lock_guard lk(mu);
    reps.push_back(rep);
  });
  EXPECT_TRUE(errors.empty()) << errors.front();
  return reps;
}

}  // namespace

TEST(Benchmark, InprocessSweepHasNoWrongResults) {
  BenchConfig cfg;
  cfg.coll = Collective::reduce_scatter;
  cfg.dtype = DType::bfloat16;
  cfg.minbytes = 6;
  cfg.maxbytes = 6000;
  cfg.stepfactor = 10;
  cfg.iters = 2;
  cfg.warmup = 1;
  const auto reps = bench_inprocess(3, 0, cfg);
  ASSERT_EQ(reps.size(), 3u);
  for (const auto& rep : reps) {
    EXPECT_EQ(rep.errors, 0);
    ASSERT_EQ(rep.rows.size(), 4u);  // 6, 60, 600, 6000
    EXPECT_EQ(rep.rows[0].bytes, 6u);
    EXPECT_EQ(rep.rows[0].count, 1u);  // 3 bf16 elements / 3 ranks
    EXPECT_EQ(rep.rows[3].redop, "sum");
    EXPECT_EQ(rep.rows[3].root, -1);
    for (const auto& r : rep.rows) {
      EXPECT_EQ(r.oop.wrong, 0);
      EXPECT_EQ(r.ip.wrong, 0);
    }
  }
}

// -c 1 validates the timed iteration itself where its input survives (out of place; in place at
// -n 1) instead of running one more collective: at 1024 ranks each one is seconds.
TEST(Benchmark, TheCheckReadsTheTimedIterationWhereItsInputSurvives) {
  auto collectives_run = [](int iters, int check) {
    BenchConfig cfg;
    cfg.coll = Collective::all_reduce;
    cfg.minbytes = cfg.maxbytes = 4096;
    cfg.iters = iters;
    cfg.warmup = 1;
    cfg.check = check;
    std::mutex mu;
    std::vector<long> ops;
    auto errors = run_inprocess(4, 2, CommOptions{}, [&](Comm& c) {
      const auto rep = run_benchmark(c, cfg);
      EXPECT_EQ(rep.rows.at(0).oop.wrong, check ? 0 : -1);  // -1: not checked
      EXPECT_EQ(rep.rows.at(0).ip.wrong, check ? 0 : -1);
      std::lock_guard lk(mu);
      ops.push_back(c.ops_begun());
    });
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(ops.size(), 4u);
    return ops.empty() ? -1L : ops.front();
  };
  // warm-up, then per placement the sync and the timed iterations
  EXPECT_EQ(collectives_run(1, 0), 1 + 2 * (1 + 1));
  EXPECT_EQ(collectives_run(1, 1), 1 + 2 * (1 + 1));
  // in place over two iterations the input is gone: that check runs a collective of its own
  EXPECT_EQ(collectives_run(2, 1), 1 + (1 + 2) + (1 + 2 + 1));
  // a second check always runs its own
  EXPECT_EQ(collectives_run(1, 2), 1 + 2 * (1 + 1 + 1));
}

// Every all_reduce row says where its time went, stage by stage, with the cost model's names.
TEST(Benchmark, AllReduceRowsCarryTheTimeOfEachStage) {
  for (const Algo algo : {Algo::hier, Algo::ring}) {
    BenchConfig cfg;
    cfg.coll = Collective::all_reduce;
    cfg.algo = algo;
    cfg.minbytes = cfg.maxbytes = 1 << 16;
    cfg.iters = 2;
    cfg.warmup = 0;
    const auto reps = bench_inprocess(4, 2, cfg);
    ASSERT_EQ(reps.size(), 4u);
    for (const auto& rep : reps) {
      ASSERT_EQ(rep.rows.size(), 1u);
      const auto& st = rep.rows[0].oop.stages;
      if (algo == Algo::hier) {
        ASSERT_EQ(st.size(), 3u);
        EXPECT_EQ(st[0].name, "domain reduce-scatter");
        EXPECT_EQ(st[1].name, "rail all-reduce");
        EXPECT_EQ(st[2].name, "domain all-gather");
      } else {
        ASSERT_EQ(st.size(), 1u);
        EXPECT_EQ(st[0].name, "ring all-reduce");
      }
      double sum = 0;
      for (const auto& s : st) {
        EXPECT_GT(s.time_us, 0) << s.name;
        sum += s.time_us;
      }
      // Each stage's slowest rank: at least part of the row's time, never much more than all of it.
      EXPECT_LE(st.back().time_us, rep.rows[0].oop.time_us * 1.01);
      EXPECT_GT(sum, 0.5 * rep.rows[0].oop.time_us);
      EXPECT_EQ(rep.rows[0].ip.stages.size(), st.size());
      const auto j = row_json(rep.rows[0], 1.0);
      EXPECT_EQ(j["stages"].size(), st.size());
      EXPECT_EQ(j["inplace_stages"][0]["name"], st[0].name);
    }
  }
}

TEST(Benchmark, OtherCollectivesHaveNoStages) {
  BenchConfig cfg;
  cfg.coll = Collective::all_gather;
  cfg.minbytes = cfg.maxbytes = 4096;
  cfg.iters = 1;
  const auto reps = bench_inprocess(2, 0, cfg);
  ASSERT_EQ(reps.size(), 2u);
  for (const auto& rep : reps) EXPECT_TRUE(rep.rows.at(0).oop.stages.empty());
}
