#pragma once
// The live state of a cluster, read back from the kernel (not from the plan): which namespaces
// exist, their interfaces, link state, addresses, shaping rates and counters.
#include <nlohmann/json.hpp>
#include <string>

namespace scalelab::runtime {

// Throws std::runtime_error when the cluster is not up.
nlohmann::json cluster_status(const std::string& cluster);
// One line per cluster on this machine: name, state, node count, source.
nlohmann::json all_clusters_status();

std::string status_to_text(const nlohmann::json& status);

}  // namespace scalelab::runtime
