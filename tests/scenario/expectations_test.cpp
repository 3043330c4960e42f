#include "emulator/scenario/expectations.h"

#include <gtest/gtest.h>

using namespace scalelab::scenario;

namespace {

nlohmann::json iteration(int rank, double start, double end, double busbw) {
  return {{"type", "iteration"}, {"rank", rank}, {"start", start}, {"t", end}, {"busbw_GBps", busbw}};
}

// Two ranks at 1 GB/s until 5 s, 0.4 GB/s until 8 s, 1 GB/s after.
RunFacts sample() {
  RunFacts f;
  for (int r = 0; r < 2; ++r)
    for (double t = 0.5; t < 12; t += 0.5) f.events.push_back(iteration(r, t - 0.5, t, (t > 5 && t <= 8) ? 0.4 : 1.0));
  f.events.push_back({{"type", "agent_error"}, {"rank", 1}, {"t", 5.3}});
  f.events.push_back({{"type", "rank_exit"}, {"rank", 0}, {"t", 5.9}, {"status", 3}});
  std::stable_sort(f.events.begin(), f.events.end(), [](auto& a, auto& b) { return a["t"].template get<double>() < b["t"].template get<double>(); });
  f.step_applied_at[0] = 5.0;
  f.world_size = 2;
  f.hang_deadline_s = 30;
  f.workload_ended_at = 12;
  f.workload_succeeded = true;
  return f;
}

Scenario with_expectation(Expectation x, double step_duration = 3) {
  Scenario s;
  s.baseline_s = 4;
  Step step;
  step.index = 0, step.at_s = 5, step.action = "straggler", step.duration_s = step_duration;
  s.steps = {step};
  s.expectations = {x};
  return s;
}

std::vector<int> all_ranks(const std::string&) { return {0, 1}; }

}  // namespace

TEST(Expectations, BaselineSkipsEachRanksFirstIteration) {
  auto f = sample();
  f.events[0]["busbw_GBps"] = 0.01;  // connection setup
  EXPECT_DOUBLE_EQ(healthy_baseline(f.events, 4), 1.0);
}

TEST(Expectations, BusbwBoundsAreMeasuredInTheWindowAfterTheStep) {
  Expectation low{"busbw_at_most", std::nullopt, 0, {"all"}, 50.0, 2.0, "/expect/0"};
  auto v = evaluate(with_expectation(low), sample(), all_ranks);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].passed) << v[0].measured;
  Expectation high{"busbw_at_least", std::nullopt, 0, {"all"}, 50.0, 2.0, "/expect/0"};
  v = evaluate(with_expectation(high), sample(), all_ranks);
  EXPECT_FALSE(v[0].passed) << v[0].measured;
  EXPECT_NE(v[0].measured.find("40%"), std::string::npos) << v[0].measured;
}

TEST(Expectations, RecoveryCountsFromTheEndOfTheFault) {
  Expectation r{"recovers", 1.0, 0, {"all"}, 90.0, std::nullopt, "/expect/0"};
  auto v = evaluate(with_expectation(r), sample(), all_ranks);
  EXPECT_TRUE(v[0].passed) << v[0].measured;
  EXPECT_NE(v[0].measured.find("0.50 s"), std::string::npos) << v[0].measured;  // first clean iteration 8.0–8.5
}

TEST(Expectations, ErrorDetectionNamesMissingRanks) {
  Expectation e{"error_detected", 1.0, 0, {"all"}, std::nullopt, std::nullopt, "/expect/0"};
  auto v = evaluate(with_expectation(e), sample(), all_ranks);
  EXPECT_TRUE(v[0].passed) << v[0].measured;  // rank 1 at +0.3 s, rank 0 (exit 3) at +0.9 s
  Expectation quick{"error_detected", 0.5, 0, {"all"}, std::nullopt, std::nullopt, "/expect/0"};
  v = evaluate(with_expectation(quick), sample(), all_ranks);
  EXPECT_FALSE(v[0].passed);
  EXPECT_NE(v[0].measured.find("late: 0"), std::string::npos) << v[0].measured;
}

TEST(Expectations, CompletesAndNoHang) {
  auto f = sample();
  Expectation c{"completes", 20.0, std::nullopt, {"all"}, std::nullopt, std::nullopt, "/expect/0"};
  EXPECT_TRUE(evaluate(with_expectation(c), f, all_ranks)[0].passed);
  f.workload_killed_at_deadline = true;
  Expectation h{"no_hang", std::nullopt, std::nullopt, {"all"}, std::nullopt, std::nullopt, "/expect/0"};
  EXPECT_FALSE(evaluate(with_expectation(h), f, all_ranks)[0].passed);
}
