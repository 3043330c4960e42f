#include "collectives/benchmark.h"

#include <algorithm>
#include <cstring>

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

namespace {

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

Result bench_one(Comm& c, const BenchConfig& cfg, Buffers& b, std::size_t bytes, bool in_place, int& rep) {
  const Layout l = layout(c, cfg, b, bytes, in_place);
  if (cfg.check) init_data(c, cfg, l, 99);
  run_collective(c, cfg, l.send, l.recv, l.k.param);  // sync
  barrier(c);
  const auto t0 = Clock::now();
  for (int i = 0; i < cfg.iters; ++i) run_collective(c, cfg, l.send, l.recv, l.k.param);
  const double sec = std::chrono::duration<double>(Clock::now() - t0).count() / std::max(1, cfg.iters);
  const double worst = max_across(c, sec);
  Result res;
  res.time_us = worst * 1e6;
  get_bw(cfg.coll, l.k.param, dtype_size(cfg.dtype), worst, c.size(), res.algbw, res.busbw);
  if (cfg.check > 0) {
    int64_t wrong = 0;
    for (int k = 0; k < cfg.check && wrong == 0; ++k) {
      const uint64_t seed = static_cast<uint64_t>(++rep);
      init_data(c, cfg, l, seed);
      run_collective(c, cfg, l.send, l.recv, l.k.param);
      const auto exp =
          expected_output(cfg.coll, cfg.dtype, cfg.op, c.rank(), c.size(), cfg.root, l.k.param, seed);
      wrong += count_wrong(cfg.dtype, cfg.op, l.recv, exp, c.size());
      wrong = sum_across(c, wrong);
    }
    res.wrong = wrong;
  }
  return res;
}

}  // namespace

BenchReport run_benchmark(Comm& c, const BenchConfig& cfg, const std::function<void(const Row&)>& on_row) {
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
  if (!sizes.empty()) {  // warm-up at the largest and the smallest size
    for (std::size_t s : {sizes.back(), sizes.front()}) {
      const Layout l = layout(c, cfg, b, s, false);
      for (int i = 0; i < cfg.warmup; ++i) run_collective(c, cfg, l.send, l.recv, l.k.param);
    }
  }
  BenchReport rep;
  int seed_rep = 0;
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
    row.oop = bench_one(c, cfg, b, s, false, seed_rep);
    row.ip = bench_one(c, cfg, b, s, true, seed_rep);
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

}  // namespace scalelab::agent
