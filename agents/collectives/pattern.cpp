#include "collectives/pattern.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>

namespace scalelab::agent {

// One pseudo-random value in [-4, 4] per position; rank r's element i sits at position i + r.
double pattern_at(uint64_t position, uint64_t seed) {
  uint64_t x = (position + 1) * 0x9E3779B97F4A7C15ull;
  x ^= seed * 0x165667B19E3779F9ull;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 32;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return static_cast<double>(static_cast<int>(x % 9) - 4);
}

double input_value(int rank, std::size_t index, uint64_t seed) {
  return pattern_at(static_cast<uint64_t>(index) + static_cast<uint64_t>(rank), seed);
}

namespace {

// An element type's conversions, picked once per buffer rather than once per element: at 1024
// ranks on 2 cores every rank fills and checks 1 MiB twice per row, and the per-element switch of
// load_element/store_element made that several seconds of the run.
template <typename Stored, typename ToDouble, typename FromDouble>
struct Element {
  ToDouble to_double;
  FromDouble from_double;
  double load(const void* buf, std::size_t i) const {
    Stored s;
    std::memcpy(&s, static_cast<const unsigned char*>(buf) + i * sizeof s, sizeof s);
    return to_double(s);
  }
  void store(void* buf, std::size_t i, double v) const {
    const Stored s = from_double(v);
    std::memcpy(static_cast<unsigned char*>(buf) + i * sizeof s, &s, sizeof s);
  }
};

template <typename Stored, typename ToDouble, typename FromDouble>
Element<Stored, ToDouble, FromDouble> element(ToDouble to, FromDouble from) {
  return {to, from};
}

template <typename F>
decltype(auto) with_element(DType t, F&& f) {
  switch (t) {
    case DType::float16:
      return f(element<uint16_t>([](uint16_t h) { return double(half_to_float(h)); },
                                 [](double v) { return float_to_half(static_cast<float>(v)); }));
    case DType::bfloat16:
      return f(element<uint16_t>([](uint16_t b) { return double(bf16_to_float(b)); },
                                 [](double v) { return float_to_bf16(static_cast<float>(v)); }));
    case DType::int32:
      return f(element<int32_t>([](int32_t x) { return double(x); },
                                [](double v) { return static_cast<int32_t>(std::llround(v)); }));
    case DType::float32:
      break;
  }
  return f(element<float>([](float x) { return double(x); }, [](double v) { return static_cast<float>(v); }));
}

}  // namespace

void fill_input(DType t, void* buf, std::size_t count, int rank, std::size_t first, uint64_t seed) {
  with_element(t, [&](const auto& e) {
    for (std::size_t i = 0; i < count; ++i) e.store(buf, i, input_value(rank, first + i, seed));
  });
}

void fill_sentinel(DType t, void* buf, std::size_t count) {
  with_element(t, [&](const auto& e) {
    for (std::size_t i = 0; i < count; ++i) e.store(buf, i, -12345.0);
  });
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
// Element i of the reduction over ranks 0..n-1 is a window of n consecutive positions,
// first + i .. first + i + n - 1: a sliding window (running sum, or a monotonic deque for max/min)
// computes all `count` of them in O(count + n) instead of O(count × n), which at 1024 ranks is the
// difference between milliseconds and minutes per rank. Values are recomputed, not stored: the
// reference is the largest buffer a rank holds (8 bytes per element), and 16 ranks reducing 256 MiB
// each must fit in memory.
// The sum over ranks of element i, i = 0, 1, ...: a window of n consecutive positions from
// first + i. Its values are kept, so each position is computed once, not on entering and again on
// leaving. Small integers: every partial sum is exact in double.
class WindowSum {
 public:
  WindowSum(std::size_t n, std::size_t first, uint64_t seed) : in_window_(n), next_(first + n), seed_(seed) {
    for (std::size_t k = 0; k < n; ++k) sum_ += in_window_[k] = pattern_at(first + k, seed);
  }
  double value() const { return sum_; }
  double slide() {  // to the next element's window
    const double entering = pattern_at(next_++, seed_);
    sum_ += entering - in_window_[oldest_];
    in_window_[oldest_] = entering;
    if (++oldest_ == in_window_.size()) oldest_ = 0;
    return sum_;
  }

 private:
  std::vector<double> in_window_;
  std::size_t oldest_ = 0, next_;
  uint64_t seed_;
  double sum_ = 0;
};

std::vector<double> reduce_over_ranks(Op op, int nranks, std::size_t first, std::size_t count, uint64_t seed) {
  const std::size_t n = static_cast<std::size_t>(nranks);
  auto at = [&](std::size_t k) { return pattern_at(first + k, seed); };
  std::vector<double> out(count);
  if (count == 0) return out;
  if (op == Op::sum) {
    WindowSum w(n, first, seed);
    out[0] = w.value();
    for (std::size_t i = 1; i < count; ++i) out[i] = w.slide();
    return out;
  }
  std::deque<std::pair<std::size_t, double>> best;  // (position, value), values monotonic (max: decreasing)
  for (std::size_t k = 0; k < count + n - 1; ++k) {
    const double v = at(k);
    while (!best.empty() && combine(op, best.back().second, v) == v && best.back().second != v) best.pop_back();
    best.emplace_back(k, v);
    if (k + 1 < n) continue;
    const std::size_t i = k + 1 - n;  // the window [i, k] is complete
    while (best.front().first < i) best.pop_front();
    out[i] = best.front().second;
  }
  return out;
}
}  // namespace

std::vector<double> expected_output(Collective c, DType t, Op op, int rank, int n, int root, std::size_t param,
                                    uint64_t seed) {
  std::vector<double> e;
  const std::size_t N = static_cast<std::size_t>(n);
  switch (c) {
    case Collective::all_reduce:
      e = reduce_over_ranks(op, n, 0, param, seed);
      break;
    case Collective::reduce_scatter:
      e = reduce_over_ranks(op, n, static_cast<std::size_t>(rank) * param, param, seed);
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
  with_element(t, [&](const auto& el) {
    unsigned char tmp[8];
    for (double& v : e) {
      el.store(tmp, 0, v);
      v = el.load(tmp, 0);
    }
  });
  return e;
}

namespace {

// Inputs are at most 4 in magnitude: partial sums are bounded by 4n; rounding can only start
// beyond the dtype's exact-integer range (2048 half, 256 bfloat16).
double tolerance(DType t, Op op, int nranks) {
  double eps = 0;
  if (op == Op::sum) {
    switch (t) {
      case DType::float32: eps = 1.0 / (1 << 22); break;
      case DType::float16: eps = 1.0 / (1 << 9); break;
      case DType::bfloat16: eps = 1.0 / (1 << 6); break;
      case DType::int32: eps = 0; break;
    }
  }
  return eps * 4.0 * nranks;
}

}  // namespace

int64_t count_wrong(DType t, Op op, const void* got, const std::vector<double>& expected, int nranks) {
  const double tol = tolerance(t, op, nranks);
  return with_element(t, [&](const auto& e) {
    int64_t wrong = 0;
    for (std::size_t i = 0; i < expected.size(); ++i)
      if (!(std::fabs(e.load(got, i) - expected[i]) <= tol)) ++wrong;
    return wrong;
  });
}

int64_t check_output(Collective c, DType t, Op op, int rank, int nranks, int root, std::size_t param, uint64_t seed,
                     const void* got) {
  const bool summed = op == Op::sum && (c == Collective::all_reduce || c == Collective::reduce_scatter);
  if (!summed || param == 0 || nranks <= 0) return count_wrong(t, op, got, expected_output(c, t, op, rank, nranks, root, param, seed), nranks);
  // reduce_over_ranks' window sum, compared as it goes: no reference vector (8 bytes an element,
  // fresh pages on every rank at its first check) is built.
  const std::size_t n = static_cast<std::size_t>(nranks);
  const std::size_t first = c == Collective::reduce_scatter ? static_cast<std::size_t>(rank) * param : 0;
  const double tol = tolerance(t, op, nranks);
  return with_element(t, [&](const auto& e) {
    WindowSum w(n, first, seed);
    unsigned char tmp[8];
    int64_t wrong = 0;
    for (std::size_t i = 0; i < param; ++i) {
      e.store(tmp, 0, i == 0 ? w.value() : w.slide());  // the reference rounded to the dtype, as the result is
      if (!(std::fabs(e.load(got, i) - e.load(tmp, 0)) <= tol)) ++wrong;
    }
    return wrong;
  });
}

}  // namespace scalelab::agent
