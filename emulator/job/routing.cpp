#include "emulator/job/routing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace scalelab::job {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double unit(std::uint64_t seed, std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  const std::uint64_t h = splitmix64(seed ^ splitmix64(a ^ splitmix64(b ^ splitmix64(c))));
  return static_cast<double>(h >> 11) / static_cast<double>(1ULL << 53);
}

// Splits `total` in proportion to `weights` exactly (largest remainder).
std::vector<std::uint64_t> apportion(std::uint64_t total, const std::vector<double>& weights) {
  const double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  std::vector<std::uint64_t> out(weights.size());
  std::vector<std::pair<double, std::size_t>> rest;
  std::uint64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double share = static_cast<double>(total) * weights[i] / sum;
    out[i] = static_cast<std::uint64_t>(std::floor(share));
    given += out[i];
    rest.push_back({share - std::floor(share), i});
  }
  std::sort(rest.begin(), rest.end(), [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  for (std::size_t k = 0; given < total; ++k, ++given) ++out[rest[k % rest.size()].second];
  return out;
}

}  // namespace

std::vector<std::vector<std::uint64_t>> route_tokens(const MoeSpec& moe, int ep, int group, int step) {
  const int experts = ep * moe.experts_per_rank;
  // Popularity order of the experts this step: a seeded permutation, so the hot expert moves.
  std::vector<int> order(experts);
  std::iota(order.begin(), order.end(), 0);
  for (int i = experts - 1; i > 0; --i) {
    const auto j = static_cast<int>(unit(moe.seed, 1, static_cast<std::uint64_t>(step), static_cast<std::uint64_t>(i)) * (i + 1));
    std::swap(order[i], order[std::min(j, i)]);
  }
  std::vector<double> popularity(experts);
  for (int pos = 0; pos < experts; ++pos) popularity[order[pos]] = 1.0 / std::pow(1.0 + pos, moe.skew);
  std::vector<std::vector<std::uint64_t>> tokens(ep, std::vector<std::uint64_t>(ep, 0));
  for (int src = 0; src < ep; ++src) {
    // Each source sees the same popularity, perturbed by its own batch (±50%).
    std::vector<double> w(experts);
    for (int e = 0; e < experts; ++e)
      w[e] = popularity[e] * (0.5 + unit(moe.seed, 2 + static_cast<std::uint64_t>(group),
                                          static_cast<std::uint64_t>(step) * 65536 + static_cast<std::uint64_t>(src),
                                          static_cast<std::uint64_t>(e)));
    const auto per_expert = apportion(moe.tokens * static_cast<std::uint64_t>(moe.top_k), w);
    for (int e = 0; e < experts; ++e) tokens[src][e / moe.experts_per_rank] += per_expert[e];
  }
  return tokens;
}

}  // namespace scalelab::job
