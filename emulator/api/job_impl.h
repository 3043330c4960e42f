#pragma once
// Internal: what a Job holds, so Cluster can start one.
#include <optional>

#include "emulator/api/launch.h"
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

  // argv_of(env) once per GPU, in rank order: each in its GPU's namespace with the rank's
  // environment, the node's hostname and the cluster's /etc/hosts, labelled "rank R NODE", its
  // pid recorded for `down`. Throws LaunchError.
  static Job launch_ranks(const api::OpenCluster& cluster, const api::RankArgv& argv_of, RunOptions options);
};

}  // namespace scalelab
