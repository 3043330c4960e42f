#pragma once
// Removing clusters: `down` replays one cluster's journal; `clean` sweeps every scalelab object
// on the machine. Both are idempotent and safe after a crash at any instant.
#include <string>
#include <vector>

namespace scalelab::runtime {

struct TeardownReport {
  std::vector<std::string> removed_namespaces;
  std::vector<int> stopped_pids;
  bool cluster_found = false;
};

TeardownReport down(const std::string& cluster);
TeardownReport clean();

// Ends processes recorded in the cluster's pids file (agents, user commands) — only those, by
// pid, and only while they still run inside one of the cluster's namespaces.
std::vector<int> stop_recorded_processes(const std::string& cluster);

}  // namespace scalelab::runtime
