// The nccl-tests measurement loop for one rank (all ranks call it together): warm-up, timed
// iterations (time = max over ranks of the per-iteration average), data check, busbw.
// Also the duration loop (`--duration-s`): one size, repeated until rank 0 says stop.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "bench/report.h"
#include "collectives/algorithms.h"
#include "collectives/communicator.h"

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
  // > 0: duration mode (run_loop): one size (minbytes == maxbytes), repeated for this many seconds
  // of wall time after the warm-ups.
  double duration_s = 0;
};

// Throws std::invalid_argument when the settings contradict each other (min > max; duration mode
// with min != max or a non-finite duration; negative iteration counts).
void validate_config(const BenchConfig& cfg);

// Called on every rank after each timed iteration it completed (`--events`).
using EventSink = std::function<void(const IterationEvent&)>;

struct BenchReport {
  std::vector<Row> rows;
  int errors = 0;  // results with #wrong > 0
  double avg_busbw = 0;
};

// Run one collective on `send`/`recv` (dispatch by cfg.coll); `param` as nccl-tests' count.
void run_collective(Comm& c, const BenchConfig& cfg, const void* send, void* recv, std::size_t param);

// `on_row` is called on every rank after each size (rank 0 prints it); `on_event` after every timed
// iteration (out-of-place and in-place), `iter` counting up from 0 across the whole sweep.
BenchReport run_benchmark(Comm& c, const BenchConfig& cfg, const std::function<void(const Row&)>& on_row = {},
                          const EventSink& on_event = {});

struct LoopReport {
  long iterations = 0;      // the same on every rank
  double seconds = 0;       // wall time of the timed loop on this rank (stop-flag exchanges included)
  double time_us = 0;       // mean duration of one collective, max over ranks
  double algbw = 0, busbw = 0;  // from time_us
  std::size_t bytes = 0;    // nccl-tests' size column
  int64_t wrong = -1;       // wrong elements over every iteration, summed over ranks; -1: not checked
};

// Duration mode: cfg.warmup warm-ups at cfg.minbytes, then iterations until rank 0 has seen
// cfg.duration_s seconds pass (at least one). Before each iteration rank 0 broadcasts a one-element
// continue flag through `c` (outside the timed window, bounded by the step timeout like any wait),
// so every rank runs the same number of iterations. Out of place; with cfg.check the output of
// every iteration is checked against the sentinel-cleared buffer (inputs are filled once, so this
// costs no extra collective) and reported in its event's `wrong`.
LoopReport run_loop(Comm& c, const BenchConfig& cfg, const EventSink& on_event = {});

}  // namespace scalelab::agent
