#include "emulator/model/topology.h"

#include <algorithm>
#include <utility>

namespace scalelab::model {

const char* to_string(NodeKind kind) {
  switch (kind) {
    case NodeKind::gpu: return "gpu";
    case NodeKind::switch_: return "switch";
    case NodeKind::router: return "router";
  }
  return "?";
}

const char* to_string(Tier tier) {
  switch (tier) {
    case Tier::scale_up: return "scale_up";
    case Tier::scale_out: return "scale_out";
  }
  return "?";
}

const Node* Topology::find(const std::string& node_name) const {
  auto it = std::find_if(nodes.begin(), nodes.end(),
                         [&](const Node& n) { return n.name == node_name; });
  return it == nodes.end() ? nullptr : &*it;
}

std::size_t Topology::gpu_count() const {
  return static_cast<std::size_t>(std::count_if(
      nodes.begin(), nodes.end(), [](const Node& n) { return n.kind == NodeKind::gpu; }));
}

}  // namespace scalelab::model
