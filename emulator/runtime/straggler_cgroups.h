#pragma once
// Where a straggler's CPU-quota cgroup lives, so that `down` and `clean` can sweep what a killed
// drill left there (the drill removes its own when it ends normally; scenario/straggler.h).
#include <string>
#include <vector>

namespace scalelab::runtime {

inline constexpr const char* kStragglerCgroupV1 = "/sys/fs/cgroup/cpu/scalelab";
inline constexpr const char* kStragglerCgroupV2 = "/sys/fs/cgroup/scalelab";

// "<cluster>-rank<r>": one cgroup per throttled rank.
std::string straggler_cgroup_name(const std::string& cluster, int rank);
// The parents to look in: v1 and v2 as root; $SCALELAB_CGROUP when rootless.
std::vector<std::string> straggler_cgroup_parents();
// Removes the cluster's cgroups (empty once its processes are gone); "" cluster: every one.
// Returns how many were removed.
int remove_straggler_cgroups(const std::string& cluster);

}  // namespace scalelab::runtime
