// nccl-tests conventions: per-collective buffer counts, algbw/busbw, the size sweep, the table.
#pragma once

#include "collectives/nccl_conventions.h"  // Collective, bus_factor, parse_size, size_sweep

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::agent {

bool is_reduction(Collective c);  // all_reduce, reduce_scatter
bool is_rooted(Collective c);     // broadcast

// nccl-tests' getCollByteCount, in elements, for `count` = size / wordsize elements on n ranks.
struct CollCounts {
  std::size_t send = 0, recv = 0, param = 0;
  std::size_t send_inplace_offset = 0, recv_inplace_offset = 0;  // multiplied by rank
};
CollCounts coll_counts(Collective c, std::size_t count, int nranks);

// algbw in GB/s (1e9) from the parameter count (elements per rank, as nccl-tests' getBw).
void get_bw(Collective c, std::size_t param_count, std::size_t elem_size, double seconds, int nranks, double& algbw,
            double& busbw);


// One stage of an algorithm ("rail all-reduce", the cost model's names): the slowest rank's time
// in it per iteration.
struct StageResult {
  std::string name;
  double time_us = 0;
};

struct Result {
  double time_us = 0, algbw = 0, busbw = 0;
  int64_t wrong = -1;  // -1: not checked
  std::vector<StageResult> stages;  // all_reduce: per stage of its algorithm, in order
};
struct Row {
  std::size_t bytes = 0, count = 0;
  std::string type, redop;
  int root = -1;
  Result oop, ip;
};

std::string format_time_us(double us);  // "%7.2f" / "%7.1f" / "%7.0f" as nccl-tests
std::vector<std::string> table_header();  // the three '#' lines
std::string format_row(const Row& r);
std::optional<Row> parse_row(std::string_view line);  // inverse of format_row (for tests and tools)
std::string table_footer(int errors, double avg_busbw);  // "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : X\n#\n"

nlohmann::json row_json(const Row& r, double dilation);

// One completed timed iteration on one rank (`--events`). Times are CLOCK_REALTIME seconds;
// algbw/busbw (GB/s) come from this rank's own duration of the iteration.
struct IterationEvent {
  int rank = 0;
  long iter = 0;
  double start_unix = 0, end_unix = 0;
  std::size_t bytes = 0;
  double busbw = 0, algbw = 0;
  int64_t wrong = -1;  // this rank's wrong elements in this iteration's output; -1: not checked
};
// `SCALELAB_EVENT {"type":"iteration","rank":R,"iter":I,"start_unix":S,"end_unix":E,"bytes":B,
// "busbw_GBps":X,"algbw_GBps":Y[,"wrong":W]}` (no newline; times with microsecond precision;
// `wrong` only when the iteration was checked).
std::string format_event(const IterationEvent& e);
std::optional<IterationEvent> parse_event(std::string_view line);  // inverse (for tests and tools)

}  // namespace scalelab::agent
