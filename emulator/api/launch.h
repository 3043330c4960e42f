#pragma once
// Internal: a cluster that is up, opened to start its ranks (Job::Impl::launch_ranks, the one
// way `run`, `bench` and `job` start them).
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/runtime/cluster_dir.h"

namespace scalelab::api {

// A cluster's directory and its cluster file (the ranks, in rank order).
struct OpenCluster {
  runtime::ClusterDir dir;
  nlohmann::json file;
};

// Throws NotFound: "no cluster named "NAME" is up<hint>", or no cluster file yet.
OpenCluster open_cluster(const std::string& name, const std::string& hint = "");

// A rank's command line, given its environment (RANK, WORLD_SIZE, MASTER_ADDR, …).
using RankArgv = std::function<std::vector<std::string>(const std::map<std::string, std::string>& env)>;

// True for scalelab's agents, which listen on the cluster's base_port + rank: the launcher makes
// those ports before the first rank starts (process/listening_port.h).
bool listens_on_rank_port(const std::vector<std::string>& argv);

}  // namespace scalelab::api
