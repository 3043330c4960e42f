#pragma once
// On a machine that holds one shard of a cluster across machines, which of the plan's nodes live
// here: launching, faults and status act on those and leave the others to their machines.
#include <optional>
#include <set>
#include <string>

#include "emulator/runtime/cluster_dir.h"

namespace scalelab::runtime {

// The nodes of state.json's "shard" entry; std::nullopt when the whole cluster is on this machine.
std::optional<std::set<std::string>> shard_nodes(const ClusterDir& dir);

}  // namespace scalelab::runtime
