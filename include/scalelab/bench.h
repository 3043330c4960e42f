#pragma once
// A collective run on every GPU by scalelab-agent (Cluster::bench), as nccl-tests reports it.
#include <chrono>
#include <cstdint>

#include "scalelab/errors.h"
#include "scalelab/job.h"
#include <optional>
#include <string>
#include <vector>

namespace scalelab {

struct BenchOptions {
  std::string collective = "all_reduce";  // all_gather reduce_scatter broadcast alltoall sendrecv
  // nccl-tests flags passed to the agents as they are: {"-b", "1M", "-e", "4M", "-n", "5"},
  // and --algo, --transport, --timeout-ms.
  std::vector<std::string> args;
  std::chrono::seconds timeout{600};  // the whole run
  LineHandler on_line;                 // every rank's output as it comes (rank 0 prints the table)
  std::string json_path;               // keep rank 0's JSON here; empty: a temporary file, removed
};

struct BenchRow {
  std::uint64_t size = 0, count = 0;
  std::string type, redop;
  double time_us = 0, algbw_GBps = 0, busbw_GBps = 0;  // out of place, emulated
  double inplace_time_us = 0, inplace_busbw_GBps = 0;
  double projected_busbw_GBps = 0;  // × dilation: the real cluster's figure
  std::optional<std::int64_t> wrong;  // elements wrong; none when the data was not checked
};

struct BenchResult {
  std::string collective, algo;
  std::string transport_scale_up, transport_scale_out;  // "tcp", "verbs"
  std::vector<BenchRow> rows;
  double avg_busbw_GBps = 0, projected_avg_busbw_GBps = 0;
  std::vector<std::string> output;  // rank 0's table as printed
};

// A rank failed or the run timed out. what(): "rank 2 gpu2 failed (exit 1); the other ranks were
// stopped" or "bench did not finish within 600 s; every rank was stopped".
class BenchError : public Error {
 public:
  BenchError(const std::string& message, JobResult result) : Error(message), result_(std::move(result)) {}
  const JobResult& result() const { return result_; }  // every rank's status and output

 private:
  JobResult result_;
};

}  // namespace scalelab
