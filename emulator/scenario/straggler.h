#pragma once
// A slow rank: its process confined to a share of one core through the CPU controller of
// whichever cgroup version the machine mounts (v1 cpu.cfs_quota_us, or v2 cpu.max). Removed
// again on release or destruction. A rootless run may only use a cgroup delegated to the user
// (SCALELAB_CGROUP: a v1 cpu directory they own, or a v2 subtree with the cpu controller).
#include <sys/types.h>

#include <string>

namespace scalelab::scenario {

// $SCALELAB_CGROUP when it names a cgroup directory this process may use for CPU quotas (v1:
// cpu.cfs_quota_us and a writable cgroup.procs; v2: the cpu controller available and a writable
// cgroup.subtree_control); "" otherwise.
std::string delegated_cgroup();

class CpuQuota {
 public:
  // Throws std::runtime_error saying what is missing when no CPU controller is usable.
  CpuQuota(const std::string& name, pid_t pid, double percent_of_one_core);
  ~CpuQuota();
  CpuQuota(const CpuQuota&) = delete;
  CpuQuota& operator=(const CpuQuota&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_, parent_procs_;  // parent_procs_: where the rank goes back to
  pid_t pid_;
};

}  // namespace scalelab::scenario
