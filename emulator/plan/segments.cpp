#include "emulator/plan/segments.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <unordered_map>

namespace scalelab::plan {

bool is_bridge_port(const model::Topology&, const model::Node& node, const model::Node& peer) {
  return node.kind == model::NodeKind::switch_ && peer.kind != model::NodeKind::router;
}

namespace {
struct DisjointSets {
  std::vector<std::size_t> parent;
  explicit DisjointSets(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  }
  void unite(std::size_t a, std::size_t b) {
    a = find(a), b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};
}  // namespace

std::vector<SegmentMembers> find_segments(const model::Topology& topology) {
  std::unordered_map<std::string, std::size_t> node_index;
  for (std::size_t i = 0; i < topology.nodes.size(); ++i) node_index[topology.nodes[i].name] = i;

  // Elements: links first, then one per node (its bridge, used only by switches).
  const std::size_t link_count = topology.links.size();
  DisjointSets sets(link_count + topology.nodes.size());
  std::vector<bool> bridged(topology.nodes.size(), false);
  for (std::size_t l = 0; l < link_count; ++l) {
    const auto& link = topology.links[l];
    std::size_t a = node_index.at(link.a), b = node_index.at(link.b);
    for (auto [self, peer] : {std::pair{a, b}, std::pair{b, a}}) {
      if (is_bridge_port(topology, topology.nodes[self], topology.nodes[peer])) {
        sets.unite(l, link_count + self);
        bridged[self] = true;
      }
    }
  }

  std::map<std::size_t, SegmentMembers> by_root;  // root = lowest element = lowest link index
  for (std::size_t l = 0; l < link_count; ++l) by_root[sets.find(l)].links.push_back(l);
  for (std::size_t n = 0; n < topology.nodes.size(); ++n)
    if (bridged[n]) by_root[sets.find(link_count + n)].switches.push_back(n);

  std::vector<SegmentMembers> segments;
  for (auto& [root, members] : by_root) segments.push_back(std::move(members));
  return segments;
}

}  // namespace scalelab::plan
