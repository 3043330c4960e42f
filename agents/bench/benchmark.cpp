#include "bench/benchmark.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "collectives/pattern.h"

namespace scalelab::agent {

void run_collective(Comm& c, const BenchConfig& cfg, const void* send, void* recv, std::size_t param) {
  switch (cfg.coll) {
    case Collective::all_reduce: all_reduce(c, send, recv, param, cfg.dtype, cfg.op, cfg.algo); break;
    case Collective::all_gather: all_gather(c, send, recv, param, cfg.dtype); break;
    case Collective::reduce_scatter: reduce_scatter(c, send, recv, param, cfg.dtype, cfg.op); break;
    case Collective::broadcast: broadcast(c, send, recv, param, cfg.dtype, cfg.root); break;
    case Collective::alltoall: alltoall(c, send, recv, param, cfg.dtype); break;
    case Collective::sendrecv: sendrecv(c, send, recv, param, cfg.dtype); break;
  }
}

void validate_config(const BenchConfig& cfg) {
  if (cfg.minbytes > cfg.maxbytes)
    throw std::invalid_argument(fmt::format("invalid sizes: minbytes {} > maxbytes {}", cfg.minbytes, cfg.maxbytes));
  if (cfg.iters < 0 || cfg.warmup < 0 || cfg.check < 0)
    throw std::invalid_argument("iteration counts (-n, -w, -c) must be >= 0");
  if (!std::isfinite(cfg.duration_s) || cfg.duration_s < 0)
    throw std::invalid_argument("--duration-s must be a finite number of seconds >= 0");
  if (cfg.duration_s > 0 && cfg.minbytes != cfg.maxbytes)
    throw std::invalid_argument(fmt::format(
        "--duration-s runs one size: -b ({} bytes) must equal -e ({} bytes)", cfg.minbytes, cfg.maxbytes));
}

namespace {

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// One collective, timed on this rank; reported through `on_event` (if set) as iteration `iter`.
// The start is CLOCK_REALTIME; the end is the start plus the steady-clock duration, so end > start
// even if the wall clock is stepped meanwhile. Returns the duration in seconds.
double timed_iteration(Comm& c, const BenchConfig& cfg, const void* send, void* recv, std::size_t param,
                       std::size_t row_bytes, long iter, const EventSink& on_event) {
  const double u0 = on_event ? unix_now() : 0.0;
  const auto t0 = Clock::now();
  run_collective(c, cfg, send, recv, param);
  const double sec = seconds_since(t0);
  if (on_event) {
    IterationEvent e;
    e.rank = c.rank();
    e.iter = iter;
    e.start_unix = u0;
    e.end_unix = u0 + sec;
    e.bytes = row_bytes;
    get_bw(cfg.coll, param, dtype_size(cfg.dtype), sec, c.size(), e.algbw, e.busbw);
    on_event(e);
  }
  return sec;
}

struct Buffers {
  std::vector<std::byte> send, recv;
};

struct Layout {
  CollCounts k;
  std::byte* send;
  std::byte* recv;
};

Layout layout(Comm& c, const BenchConfig& cfg, Buffers& b, std::size_t bytes, bool in_place) {
  const std::size_t es = dtype_size(cfg.dtype);
  Layout l;
  l.k = coll_counts(cfg.coll, bytes / es, c.size());
  const std::size_t r = static_cast<std::size_t>(c.rank());
  if (in_place) {
    l.send = b.recv.data() + l.k.send_inplace_offset * r * es;
    l.recv = b.recv.data() + l.k.recv_inplace_offset * r * es;
  } else {
    l.send = b.send.data();
    l.recv = b.recv.data();
  }
  return l;
}

// Fresh input on this rank (and a sentinel in the output, so a result never written is caught).
void init_data(Comm& c, const BenchConfig& cfg, const Layout& l, uint64_t seed) {
  fill_sentinel(cfg.dtype, l.recv, l.k.recv);
  fill_input(cfg.dtype, l.send, l.k.send, c.rank(), 0, seed);
}

Result bench_one(Comm& c, const BenchConfig& cfg, Buffers& b, std::size_t bytes, bool in_place, int& rep,
                 std::size_t row_bytes, long& iter, const EventSink& on_event) {
  const Layout l = layout(c, cfg, b, bytes, in_place);
  // The first check validates the timed iteration's own output where its input survives to the
  // end: out of place always, in place when one iteration is timed. That costs no collective of
  // its own (nccl-tests runs one more), which at 1024 ranks is seconds per row.
  const bool check_timed = cfg.check > 0 && cfg.iters >= 1 && (!in_place || cfg.iters == 1);
  const uint64_t timed_seed = check_timed ? static_cast<uint64_t>(++rep) : 99;
  if (cfg.check) init_data(c, cfg, l, timed_seed);
  run_collective(c, cfg, l.send, l.recv, l.k.param);  // sync
  // Again: the sentinel catches an output never written. Out of place the input (const to every
  // collective) is still intact; in place the sync collective overwrote it.
  if (check_timed && in_place) init_data(c, cfg, l, timed_seed);
  else if (check_timed) fill_sentinel(cfg.dtype, l.recv, l.k.recv);
  barrier(c);
  c.reset_stage_times();
  double sec = 0;
  if (on_event) {  // time every iteration on its own, so printing the events is not measured
    for (int i = 0; i < cfg.iters; ++i)
      sec += timed_iteration(c, cfg, l.send, l.recv, l.k.param, row_bytes, iter++, on_event);
  } else {
    const auto t0 = Clock::now();
    for (int i = 0; i < cfg.iters; ++i) run_collective(c, cfg, l.send, l.recv, l.k.param);
    sec = seconds_since(t0);
  }
  const double iters = std::max(1, cfg.iters);
  std::vector<double> times{sec / iters};  // the iteration, then its stages: one tree_combine for all
  for (const auto& st : c.stage_times()) times.push_back(st.seconds / iters);
  const auto slowest = max_across(c, times);
  const double worst = slowest[0];
  Result res;
  res.time_us = worst * 1e6;
  for (std::size_t k = 0; k < c.stage_times().size(); ++k)
    res.stages.push_back({c.stage_times()[k].name, slowest[k + 1] * 1e6});
  get_bw(cfg.coll, l.k.param, dtype_size(cfg.dtype), worst, c.size(), res.algbw, res.busbw);
  if (cfg.check > 0) {
    int64_t wrong = 0;
    for (int k = 0; k < cfg.check && wrong == 0; ++k) {
      const bool on_timed = check_timed && k == 0;
      const uint64_t seed = on_timed ? timed_seed : static_cast<uint64_t>(++rep);
      if (!on_timed) {
        init_data(c, cfg, l, seed);
        run_collective(c, cfg, l.send, l.recv, l.k.param);
      }
      wrong += check_output(cfg.coll, cfg.dtype, cfg.op, c.rank(), c.size(), cfg.root, l.k.param, seed, l.recv);
      wrong = sum_across(c, wrong);
    }
    res.wrong = wrong;
  }
  return res;
}

}  // namespace

BenchReport run_benchmark(Comm& c, const BenchConfig& cfg, const std::function<void(const Row&)>& on_row,
                          const EventSink& on_event) {
  validate_config(cfg);
  const std::size_t es = dtype_size(cfg.dtype);
  const auto sizes = size_sweep(cfg.minbytes, cfg.maxbytes, cfg.stepfactor, cfg.stepbytes);
  Buffers b;
  std::size_t need = 0;
  for (std::size_t s : sizes) {
    const CollCounts k = coll_counts(cfg.coll, s / es, c.size());
    need = std::max({need, k.send * es, k.recv * es});
  }
  b.send.assign(need + 64, std::byte{0});
  b.recv.assign(need + 64, std::byte{0});

  barrier(c);
  if (!sizes.empty()) {  // warm-up at the largest and the smallest size (once when they are one)
    std::vector<std::size_t> warm{sizes.back()};
    if (sizes.front() != sizes.back()) warm.push_back(sizes.front());
    for (std::size_t s : warm) {
      const Layout l = layout(c, cfg, b, s, false);
      for (int i = 0; i < cfg.warmup; ++i) run_collective(c, cfg, l.send, l.recv, l.k.param);
    }
  }
  BenchReport rep;
  int seed_rep = 0;
  long iter = 0;
  double bw_sum = 0;
  int bw_n = 0;
  for (std::size_t s : sizes) {
    const CollCounts k = coll_counts(cfg.coll, s / es, c.size());
    Row row;
    row.bytes = std::max(k.send, k.recv) * es;
    row.count = k.param;
    row.type = std::string(dtype_name(cfg.dtype));
    row.redop = is_reduction(cfg.coll) ? std::string(op_name(cfg.op)) : std::string("none");
    row.root = is_rooted(cfg.coll) ? cfg.root : -1;
    row.oop = bench_one(c, cfg, b, s, false, seed_rep, row.bytes, iter, on_event);
    row.ip = bench_one(c, cfg, b, s, true, seed_rep, row.bytes, iter, on_event);
    for (const Result* r : {&row.oop, &row.ip}) {
      bw_sum += r->busbw;
      ++bw_n;
      if (r->wrong > 0) ++rep.errors;
    }
    if (on_row) on_row(row);
    rep.rows.push_back(std::move(row));
  }
  rep.avg_busbw = bw_n ? bw_sum / bw_n : 0;
  barrier(c);  // nobody closes its channels while a peer still needs them
  return rep;
}

LoopReport run_loop(Comm& c, const BenchConfig& cfg, const EventSink& on_event) {
  validate_config(cfg);
  if (cfg.duration_s <= 0) throw std::invalid_argument("run_loop needs duration_s > 0");
  const std::size_t es = dtype_size(cfg.dtype);
  const CollCounts k = coll_counts(cfg.coll, cfg.minbytes / es, c.size());
  Buffers b;
  b.send.assign(std::max(k.send, k.recv) * es + 64, std::byte{0});
  b.recv.assign(std::max(k.send, k.recv) * es + 64, std::byte{0});
  const Layout l = layout(c, cfg, b, cfg.minbytes, false);
  constexpr uint64_t kSeed = 4242;
  if (cfg.check) init_data(c, cfg, l, kSeed);  // out of place: the input stays intact all along

  barrier(c);
  for (int i = 0; i < cfg.warmup; ++i) run_collective(c, cfg, l.send, l.recv, l.k.param);

  LoopReport rep;
  rep.bytes = std::max(k.send, k.recv) * es;
  // With -c, every iteration is checked, not only the last: a soak under faults must catch the
  // one corrupted collective among thousands. The output gets the sentinel first, so an
  // iteration that silently wrote nothing counts as wrong too. Both stay outside the timing.
  std::vector<double> exp;
  if (cfg.check > 0) exp = expected_output(cfg.coll, cfg.dtype, cfg.op, c.rank(), c.size(), cfg.root, l.k.param, kSeed);
  int64_t wrong_here = 0;
  const EventSink checked_sink = [&](const IterationEvent& e) {
    IterationEvent out = e;
    out.wrong = count_wrong(cfg.dtype, cfg.op, l.recv, exp, c.size());
    wrong_here += out.wrong;
    if (on_event) on_event(out);
  };
  const auto t_start = Clock::now();
  const auto t_end = t_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(cfg.duration_s));
  double busy = 0;
  for (long iter = 0;; ++iter) {
    // Rank 0 decides; the flag travels the broadcast chain, every wait bounded by the step timeout.
    int32_t go = 0;
    if (c.rank() == 0) go = (iter == 0 || Clock::now() < t_end) ? 1 : 0;
    broadcast(c, &go, &go, 1, DType::int32, 0);
    if (!go) break;
    if (cfg.check > 0) fill_sentinel(cfg.dtype, l.recv, l.k.recv);
    busy += timed_iteration(c, cfg, l.send, l.recv, l.k.param, rep.bytes, iter, cfg.check > 0 ? checked_sink : on_event);
    ++rep.iterations;
  }
  rep.seconds = seconds_since(t_start);
  const double worst = max_across(c, busy / static_cast<double>(std::max(1L, rep.iterations)));
  rep.time_us = worst * 1e6;
  get_bw(cfg.coll, l.k.param, es, worst, c.size(), rep.algbw, rep.busbw);
  if (cfg.check > 0) rep.wrong = sum_across(c, wrong_here);
  barrier(c);  // nobody closes its channels while a peer still needs them
  return rep;
}

}  // namespace scalelab::agent
