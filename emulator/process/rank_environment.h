#pragma once
// The environment every per-rank workload gets, torchrun-style, from the cluster file.
#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

namespace scalelab::process {

inline constexpr int kMasterPortOffset = -100;  // below the agents' base_port + rank range

// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR (rank 0's rail address),
// MASTER_PORT, GLOO_SOCKET_IFNAME / NCCL_SOCKET_IFNAME / TP_SOCKET_IFNAME (the rank's own rail
// NIC, which reaches every rank), SCALELAB_CLUSTER, SCALELAB_CLUSTER_FILE, SCALELAB_RANK,
// SCALELAB_NODE; SCALELAB_CLUSTER_TABLE when the cluster file has its table beside it.
std::map<std::string, std::string> rank_environment(const nlohmann::json& cluster_file, std::size_t rank,
                                                    const std::string& cluster_file_path);

// Replaces $NAME and ${NAME} for the names in `env`; anything else is left as it is.
std::string expand_variables(const std::string& text, const std::map<std::string, std::string>& env);

}  // namespace scalelab::process
