#include "emulator/runtime/shard_nodes.h"

namespace scalelab::runtime {

std::optional<std::set<std::string>> shard_nodes(const ClusterDir& dir) {
  auto state = dir.read_json("state.json");
  if (!state || !state->contains("shard")) return std::nullopt;
  std::set<std::string> out;
  for (const auto& node : (*state)["shard"].value("nodes", nlohmann::json::array())) out.insert(node.get<std::string>());
  return out;
}

}  // namespace scalelab::runtime
