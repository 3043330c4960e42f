#pragma once
// What every verb shares: failing with a clear message, naming nodes as CLUSTER/NODE.
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "scalelab/job.h"

namespace scalelab {
struct UpOptions;
}

namespace scalelab::cli {

// Thrown by verbs to end the program with a message on stderr and an exit status.
struct CliFailure {
  std::string message;
  int status = 1;
};

[[noreturn]] inline void fail(std::string message, int status = 1) { throw CliFailure{std::move(message), status}; }

// "h100x2/gpu3" → {"h100x2", "gpu3"}; a bare "gpu3" works when exactly one cluster is up.
std::pair<std::string, std::string> resolve_node_reference(const std::string& reference);

// Rank 0 speaks for the run, as in nccl-tests; of the others only the lines that report an error
// are kept, for after the run.
class RankZeroOutput {
 public:
  LineHandler handler();       // for RunOptions/BenchOptions::on_line; *this must outlive the run
  void print_others() const;   // the kept lines on stderr, "[rank 2 gpu2] …"

 private:
  std::vector<std::string> others_;
};

// --dilation as `up` and `job` take it: a number >= 1, or "auto"; "" keeps the file's.
void set_dilation(UpOptions& options, const std::string& text);


}  // namespace scalelab::cli
