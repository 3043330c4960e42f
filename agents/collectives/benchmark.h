// The nccl-tests measurement loop for one rank (all ranks call it together): warm-up, timed
// iterations (time = max over ranks of the per-iteration average), data check, busbw.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "collectives/algorithms.h"
#include "collectives/communicator.h"
#include "collectives/report.h"

namespace scalelab::agent {

struct BenchConfig {
  Collective coll = Collective::all_reduce;
  DType dtype = DType::float32;
  Op op = Op::sum;
  int root = 0;
  // nccl-tests defaults
  std::size_t minbytes = 32u << 20, maxbytes = 32u << 20;
  std::size_t stepfactor = 1, stepbytes = 1u << 20;
  int iters = 20, warmup = 5, check = 1;
  Algo algo = Algo::automatic;
};

struct BenchReport {
  std::vector<Row> rows;
  int errors = 0;  // results with #wrong > 0
  double avg_busbw = 0;
};

// Run one collective on `send`/`recv` (dispatch by cfg.coll); `param` as nccl-tests' count.
void run_collective(Comm& c, const BenchConfig& cfg, const void* send, void* recv, std::size_t param);

// `on_row` is called on every rank after each size (rank 0 prints it).
BenchReport run_benchmark(Comm& c, const BenchConfig& cfg, const std::function<void(const Row&)>& on_row = {});

}  // namespace scalelab::agent
