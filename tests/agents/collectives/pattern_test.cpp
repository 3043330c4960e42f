#include "collectives/pattern.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace scalelab::agent {
namespace {

// The reference the fast one must equal: every rank's input, combined one by one.
double brute_force(Op op, int n, std::size_t index, uint64_t seed) {
  double acc = input_value(0, index, seed);
  for (int r = 1; r < n; ++r) {
    const double v = input_value(r, index, seed);
    acc = op == Op::sum ? acc + v : op == Op::max ? std::max(acc, v) : std::min(acc, v);
  }
  return acc;
}

TEST(Pattern, InputsAreSmallIntegersThatDifferBetweenRanksAndElements) {
  std::set<double> seen;
  int same_as_next_rank = 0, same_with_other_seed = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    const double v = input_value(3, i, 11);
    EXPECT_EQ(v, static_cast<int>(v));
    EXPECT_GE(v, -4);
    EXPECT_LE(v, 4);
    seen.insert(v);
    same_as_next_rank += v == input_value(4, i, 11);
    same_with_other_seed += v == input_value(3, i, 12);
  }
  EXPECT_EQ(seen.size(), 9u) << "all of -4..4 appear";
  EXPECT_LT(same_as_next_rank, 200) << "neighbouring ranks' data must differ (about 1 in 9 equal)";
  EXPECT_LT(same_with_other_seed, 200) << "the seed changes the data";
}

TEST(Pattern, AllReduceReferenceEqualsTheRankByRankReduction) {
  for (Op op : {Op::sum, Op::max, Op::min})
    for (int n : {1, 2, 3, 5, 8, 9, 64, 1024})
      for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{300}}) {
        const auto e = expected_output(Collective::all_reduce, DType::float32, op, 0, n, 0, count, 42);
        ASSERT_EQ(e.size(), count);
        for (std::size_t i = 0; i < count; ++i)
          ASSERT_EQ(e[i], brute_force(op, n, i, 42)) << op_name(op) << " n=" << n << " i=" << i;
      }
}

TEST(Pattern, ReduceScatterReferenceIsTheRanksSliceOfTheReduction) {
  for (Op op : {Op::sum, Op::max, Op::min})
    for (int n : {2, 5, 16}) {
      const std::size_t p = 13;
      for (int rank = 0; rank < n; ++rank) {
        const auto e = expected_output(Collective::reduce_scatter, DType::float32, op, rank, n, 0, p, 7);
        ASSERT_EQ(e.size(), p);
        for (std::size_t i = 0; i < p; ++i) ASSERT_EQ(e[i], brute_force(op, n, rank * p + i, 7));
      }
    }
}

TEST(Pattern, LargeWorldReferenceMatchesOnASample) {
  // 1024 ranks × 1 MiB of floats: the rank-by-rank reduction is 268M hash evaluations per rank;
  // the window is 263k. Correctness at this size is checked on a sample against brute force.
  const std::size_t count = 262144;
  const auto e = expected_output(Collective::all_reduce, DType::float32, Op::sum, 0, 1024, 0, count, 3);
  for (std::size_t i : {std::size_t{0}, std::size_t{1}, count / 2, count - 1}) EXPECT_EQ(e[i], brute_force(Op::sum, 1024, i, 3));
}


// The streamed check finds exactly the elements count_wrong finds against the built reference:
// none in a right result, each one that is off, whatever the dtype, op, collective or rank.
TEST(Pattern, CheckOutputCountsWhatCountWrongCountsAgainstTheReference) {
  for (DType t : {DType::float32, DType::float16, DType::bfloat16, DType::int32})
    for (Op op : {Op::sum, Op::max, Op::min})
      for (Collective coll : {Collective::all_reduce, Collective::reduce_scatter, Collective::broadcast})
        for (int n : {1, 3, 64}) {
          const int rank = n - 1;
          const std::size_t param = 257;
          SCOPED_TRACE(::testing::Message() << dtype_name(t) << " " << op_name(op) << " " << collective_name(coll) << " n " << n);
          const auto exp = expected_output(coll, t, op, rank, n, 0, param, 11);
          std::vector<unsigned char> got(exp.size() * dtype_size(t));
          for (std::size_t i = 0; i < exp.size(); ++i) store_element(t, got.data(), i, exp[i]);
          EXPECT_EQ(check_output(coll, t, op, rank, n, 0, param, 11, got.data()), 0);
          for (std::size_t i : {std::size_t{0}, exp.size() / 2, exp.size() - 1}) store_element(t, got.data(), i, exp[i] + 100);
          EXPECT_EQ(check_output(coll, t, op, rank, n, 0, param, 11, got.data()), 3);
          EXPECT_EQ(check_output(coll, t, op, rank, n, 0, param, 11, got.data()), count_wrong(t, op, got.data(), exp, n));
          EXPECT_EQ(check_output(coll, t, op, rank, n, 0, param, 12, got.data()), count_wrong(t, op, got.data(), expected_output(coll, t, op, rank, n, 0, param, 12), n))
              << "another seed: another reference";
        }
}

}  // namespace
}  // namespace scalelab::agent
