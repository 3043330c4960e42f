#include "collectives/pattern.h"

#include <algorithm>
#include <cmath>

namespace scalelab::agent {

double input_value(int rank, std::size_t index, uint64_t seed) {
  uint64_t x = (static_cast<uint64_t>(index) + 1) * 0x9E3779B97F4A7C15ull;
  x ^= (static_cast<uint64_t>(rank) + 0x51) * 0xC2B2AE3D27D4EB4Full;
  x ^= seed * 0x165667B19E3779F9ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  return static_cast<double>(static_cast<int>(x % 9) - 4);
}

void fill_input(DType t, void* buf, std::size_t count, int rank, std::size_t first, uint64_t seed) {
  for (std::size_t i = 0; i < count; ++i) store_element(t, buf, i, input_value(rank, first + i, seed));
}

void fill_sentinel(DType t, void* buf, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) store_element(t, buf, i, -12345.0);
}

namespace {
double combine(Op op, double a, double b) {
  switch (op) {
    case Op::sum: return a + b;
    case Op::max: return std::max(a, b);
    case Op::min: return std::min(a, b);
  }
  return a;
}
double reduce_over_ranks(Op op, int nranks, std::size_t index, uint64_t seed) {
  double acc = input_value(0, index, seed);
  for (int r = 1; r < nranks; ++r) acc = combine(op, acc, input_value(r, index, seed));
  return acc;
}
}  // namespace

std::vector<double> expected_output(Collective c, DType t, Op op, int rank, int n, int root, std::size_t param,
                                    uint64_t seed) {
  std::vector<double> e;
  const std::size_t N = static_cast<std::size_t>(n);
  switch (c) {
    case Collective::all_reduce:
      e.resize(param);
      for (std::size_t i = 0; i < param; ++i) e[i] = reduce_over_ranks(op, n, i, seed);
      break;
    case Collective::reduce_scatter:
      e.resize(param);
      for (std::size_t i = 0; i < param; ++i) e[i] = reduce_over_ranks(op, n, rank * param + i, seed);
      break;
    case Collective::all_gather:
      e.resize(param * N);
      for (std::size_t j = 0; j < N; ++j)
        for (std::size_t i = 0; i < param; ++i) e[j * param + i] = input_value(static_cast<int>(j), i, seed);
      break;
    case Collective::broadcast:
      e.resize(param);
      for (std::size_t i = 0; i < param; ++i) e[i] = input_value(root, i, seed);
      break;
    case Collective::alltoall:
      e.resize(param * N);
      for (std::size_t j = 0; j < N; ++j)
        for (std::size_t i = 0; i < param; ++i) e[j * param + i] = input_value(static_cast<int>(j), rank * param + i, seed);
      break;
    case Collective::sendrecv:
      e.resize(param);
      for (std::size_t i = 0; i < param; ++i) e[i] = input_value((rank + n - 1) % n, i, seed);
      break;
  }
  // Round the reference to the dtype, as the result is.
  std::vector<unsigned char> tmp(dtype_size(t));
  for (double& v : e) {
    store_element(t, tmp.data(), 0, v);
    v = load_element(t, tmp.data(), 0);
  }
  return e;
}

int64_t count_wrong(DType t, Op op, const void* got, const std::vector<double>& expected, int nranks) {
  double eps = 0;
  if (op == Op::sum) {
    switch (t) {
      case DType::float32: eps = 1.0 / (1 << 22); break;
      case DType::float16: eps = 1.0 / (1 << 9); break;
      case DType::bfloat16: eps = 1.0 / (1 << 6); break;
      case DType::int32: eps = 0; break;
    }
  }
  // Inputs are at most 4 in magnitude: partial sums are bounded by 4n; rounding can only start
  // beyond the dtype's exact-integer range (2048 half, 256 bfloat16).
  const double tol = eps * 4.0 * nranks;
  int64_t wrong = 0;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const double g = load_element(t, got, i);
    if (!(std::fabs(g - expected[i]) <= tol)) ++wrong;
  }
  return wrong;
}

}  // namespace scalelab::agent
