#pragma once
// What the operator's scalelab sends each machine (`scalelab shard up` reads it on stdin): the
// resolved topology, the machines and which one the receiver is. Every machine derives the same
// plan and the same cut from it, so nothing else is copied.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/plan/plan.h"
#include "emulator/runtime/realize.h"
#include "emulator/shard/machines.h"
#include "emulator/shard/partition.h"

namespace scalelab::shard {

struct ShardSpec {
  nlohmann::json topology;   // topology_to_json, dilation resolved
  Machines machines;         // ssh options are the operator's business and stay behind
  int self = 0;
  std::uint32_t vni_base = 0;
};

nlohmann::json spec_to_json(const ShardSpec& spec);
ShardSpec spec_from_json(const std::string& text, const std::string& source);

// Distinct per cluster name, so two clusters sharing machines do not share VNIs: a block of
// 4096 (one VNI per cut link) out of VXLAN's 2^24.
std::uint32_t vni_base_for(const std::string& cluster);
inline constexpr std::size_t kMaxCrossLinks = 4096;

// This machine's part: its namespaces, and for each cut link with an end here the VNI and the
// two underlay addresses.
runtime::ShardPlacement placement(const plan::Plan& plan, const Partition& cut, const Machines& machines, int self,
                                  std::uint32_t vni_base);

}  // namespace scalelab::shard
