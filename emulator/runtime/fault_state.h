#pragma once
// Faults in force on a live cluster, kept in its directory (faults.json) so separate
// `scalelab inject` invocations and a scenario run see and undo each other's faults.
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace scalelab::runtime {

struct LinkDegradation {
  std::optional<std::uint64_t> rate_bps;  // emulated units
  std::optional<std::uint64_t> delay_ns, jitter_ns;
  std::optional<double> loss;
};

struct Partition {
  std::vector<std::string> side_a, side_b;  // gpu node names
};

struct FaultState {
  std::set<int> down_links;                  // both ends admin-down
  std::set<std::string> down_nics;           // "gpu3:nic0": the GPU end only
  std::map<int, LinkDegradation> degraded;   // by link id
  std::vector<Partition> partitions;
  std::set<int> routed_around;               // links the control plane has withdrawn routes for

  std::set<int> failed_links(const std::map<std::string, int>& nic_links) const;  // down links + links of down nics
  nlohmann::json to_json() const;
  static FaultState from_json(const nlohmann::json& j);
};

}  // namespace scalelab::runtime
