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

#include "emulator/cli/error_report.h"

namespace scalelab::cli {

// Thrown by verbs to end the program with a message on stderr and an exit status; `report`
// carries the kind (and file/pointer) that SCALELAB_ERRORS=json prints (error_report.h).
struct CliFailure {
  std::string message;
  int status = 1;
  ErrorReport report;
};

// kind: see ErrorReport; "error" when nothing more precise applies.
[[noreturn]] inline void fail_as(std::string kind, std::string message, int status = 1) {
  ErrorReport report;
  report.kind = std::move(kind);
  report.message = message;
  report.fix = fix_of(message);
  report.status = status;
  throw CliFailure{std::move(message), status, std::move(report)};
}
[[noreturn]] inline void fail(std::string message, int status = 1) { fail_as("error", std::move(message), status); }
// An error located in a file (TopologyError, JobError): the parts kept apart for JSON.
[[noreturn]] inline void fail_located(std::string kind, std::string file, std::string pointer, const std::string& message,
                                      std::string trailer, int status = 1) {
  ErrorReport report{std::move(kind), std::move(file), std::move(pointer), message, fix_of(message), std::move(trailer), "", status};
  std::string text = error_text(report);
  throw CliFailure{std::move(text), status, std::move(report)};
}

// The exit status a verb passes on from the rank that failed first: its own when it is an
// ordinary one (1..125), else 1 (no rank, 126/127 not run, 128+ a signal).
inline int exit_status_of_rank(int status) { return status > 0 && status < 126 ? status : 1; }

// "; faults in force: link_down gpu0-leaf0, …", or "" when there are none: what a failed run
// adds, since the workload itself knows nothing of scalelab's faults.
inline std::string faults_in_force_suffix(const std::vector<std::string>& faults) {
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "; faults in force: " : ", ") + f;
  return out;
}

// Verbs that make or enter namespaces: root, or a rootless session (where the caller is root
// of its own user namespace).
void require_root(const std::string& verb, const std::string& why);

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
