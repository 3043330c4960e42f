#pragma once
// The Plan as JSON (`scalelab plan --json`, status) and as the cluster file agents read.
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/plan/plan.h"

namespace scalelab::plan {

nlohmann::json plan_to_json(const Plan& plan);

// The contract with agents and user workloads (SCALELAB_CLUSTER_FILE): ranks, their
// namespaces and per-tier addresses, and each tier's real and emulated figures.
inline constexpr int kDefaultBasePort = 29500;
nlohmann::json cluster_file_json(const Plan& plan, int base_port = kDefaultBasePort);

// A readable summary: counts per kind, tiers before/after dilation, one line per namespace.
std::string plan_to_text(const Plan& plan, bool verbose);

}  // namespace scalelab::plan
