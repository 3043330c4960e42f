#pragma once
// Internal: what a Job holds, so Cluster can start one.
#include <optional>

#include "emulator/process/process_group.h"
#include "scalelab/job.h"

namespace scalelab {

struct Job::Impl {
  std::vector<RankResult> ranks;  // rank, node and label known before launch; output filled as read
  RunOptions options;
  std::unique_ptr<process::ProcessGroup> group;
  std::optional<JobResult> result;
  std::optional<std::size_t> first_failure;

  // Makes the group; its reader thread appends to ranks[member].output.
  void start(const std::string& pids_file);
  void launch(const process::LaunchSpec& spec);  // throws LaunchError
  static Job make(std::unique_ptr<Impl> impl) { return Job(std::move(impl)); }
};

}  // namespace scalelab
