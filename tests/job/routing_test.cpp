#include "emulator/job/routing.h"

#include <algorithm>
#include <numeric>

#include <gtest/gtest.h>

namespace scalelab::job {
namespace {

MoeSpec moe(double skew) {
  MoeSpec m;
  m.experts_per_rank = 2;
  m.tokens = 1000;
  m.token_bytes = 8;
  m.top_k = 2;
  m.skew = skew;
  m.seed = 42;
  return m;
}

std::vector<std::uint64_t> received(const std::vector<std::vector<std::uint64_t>>& t) {
  std::vector<std::uint64_t> in(t.size(), 0);
  for (const auto& row : t)
    for (std::size_t j = 0; j < row.size(); ++j) in[j] += row[j];
  return in;
}

TEST(Routing, EveryTokenGoesToTopKExperts) {
  auto t = route_tokens(moe(1.0), 8, 0, 0);
  ASSERT_EQ(t.size(), 8u);
  for (const auto& row : t) EXPECT_EQ(std::accumulate(row.begin(), row.end(), std::uint64_t{0}), 2000u);
}

TEST(Routing, SeededAndDeterministicButMovesEveryStep) {
  EXPECT_EQ(route_tokens(moe(1.0), 8, 0, 5), route_tokens(moe(1.0), 8, 0, 5));
  EXPECT_NE(route_tokens(moe(1.0), 8, 0, 5), route_tokens(moe(1.0), 8, 0, 6));
  auto other_seed = moe(1.0);
  other_seed.seed = 43;
  EXPECT_NE(route_tokens(moe(1.0), 8, 0, 5), route_tokens(other_seed, 8, 0, 5));
}

TEST(Routing, SkewMakesAHotRank) {
  auto spread = [](const std::vector<std::uint64_t>& in) {
    return static_cast<double>(*std::max_element(in.begin(), in.end())) / *std::min_element(in.begin(), in.end());
  };
  const double uniform = spread(received(route_tokens(moe(0.0), 8, 0, 1)));
  const double skewed = spread(received(route_tokens(moe(1.5), 8, 0, 1)));
  EXPECT_LT(uniform, 1.5);
  EXPECT_GT(skewed, 3.0);
}

}  // namespace
}  // namespace scalelab::job
