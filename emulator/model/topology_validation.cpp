#include "emulator/model/topology_validation.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <queue>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace scalelab::model {

std::string mtu_range_message(const std::string& got) {
  return fmt::format("mtu must be within {}..{}, got {}", kMinMtu, kMaxMtu, got);
}

namespace {

constexpr std::size_t kMaxClusterNameLength = 24;
constexpr std::size_t kKnownNodesShown = 8;

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// Explicit-form objects have one pointer per node/link, so a field can be named precisely;
// compact-generated ones point at the cluster sub-object that produced them.
bool is_explicit(const std::string& pointer) {
  return starts_with(pointer, "/nodes/") || starts_with(pointer, "/links/");
}

std::string field_pointer(const std::string& pointer, std::string_view field) {
  if (is_explicit(pointer)) return fmt::format("{}/{}", pointer, field);
  // Both compact sub-objects ("/cluster/scale_up", "/cluster/scale_out") have an "mtu" key.
  if (field == "mtu" && starts_with(pointer, "/cluster/")) return pointer + "/mtu";
  return pointer;
}

bool valid_cluster_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxClusterNameLength) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(name.front())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return lower_alnum(c) || c == '-'; });
}

bool valid_node_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxNodeNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-';
  });
}

class Validator {
 public:
  explicit Validator(const Topology& t) : t_(t) {}

  void run() {
    check_header();
    check_nodes();
    check_links();
    check_dangling();
    check_l2_forest();
  }

 private:
  [[noreturn]] void fail(const std::string& pointer, const std::string& message) const {
    throw TopologyError(t_.source, pointer, message);
  }

  // Where errors about the node set as a whole point.
  std::string nodes_pointer() const {
    for (const Node& n : t_.nodes) {
      if (starts_with(n.json_pointer, "/cluster")) return "/cluster";
    }
    return "/nodes";
  }

  void check_header() const {
    if (!valid_cluster_name(t_.name)) {
      fail("/name", fmt::format("cluster name must match [a-z0-9][a-z0-9-]{{0,23}} (it becomes "
                                "part of the namespace names sl-<name>-<node>), got \"{}\"",
                                t_.name));
    }
    if (!t_.dilation_auto && !(t_.dilation >= 1.0 && std::isfinite(t_.dilation))) {
      fail("/dilation", fmt::format("dilation must be a number >= 1 or \"auto\", got {}",
                                    t_.dilation));
    }
  }

  void check_nodes() {
    if (t_.nodes.size() > kMaxNodes) {
      fail(nodes_pointer(), fmt::format("{} nodes; at most {} are supported", t_.nodes.size(),
                                        kMaxNodes));
    }
    if (t_.gpu_count() == 0) {
      fail(nodes_pointer(), "the topology has no gpus; at least one node must have kind \"gpu\"");
    }
    // In source order, so that "first defined at" names the earlier one in the file (the nodes
    // vector has moved gpus to the front).
    for (std::size_t i : source_order()) {
      const Node& n = t_.nodes[i];
      const std::string ptr = field_pointer(n.json_pointer, "name");
      if (!valid_node_name(n.name)) {
        fail(ptr, fmt::format("node name must be 1..{} characters of [A-Za-z0-9_.-] (it becomes "
                              "an interface name on its peer, and Linux allows {}), got \"{}\"",
                              kMaxNodeNameLength, kMaxNodeNameLength, n.name));
      }
      if (n.name == "lo" || n.name == "br0") {
        fail(ptr, fmt::format("node name \"{}\" is reserved (it is an interface name the emulator "
                              "uses inside namespaces: lo, br0)",
                              n.name));
      }
      auto [it, inserted] = index_.emplace(n.name, i);
      if (!inserted) {
        fail(ptr, fmt::format("duplicate node name \"{}\", first defined at {}", n.name,
                              t_.nodes[it->second].json_pointer));
      }
    }
  }

  // Node indices sorted by their position in the file ("/nodes/<i>"); generated nodes keep their
  // vector order.
  std::vector<std::size_t> source_order() const {
    std::vector<std::size_t> order(t_.nodes.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    auto file_index = [&](std::size_t i) -> std::size_t {
      const std::string& p = t_.nodes[i].json_pointer;
      constexpr std::string_view kPrefix = "/nodes/";
      if (!starts_with(p, kPrefix)) return i;
      std::size_t value = 0;
      for (char c : std::string_view(p).substr(kPrefix.size())) {
        if (c < '0' || c > '9') return i;
        value = value * 10 + static_cast<std::size_t>(c - '0');
      }
      return value;
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return file_index(x) < file_index(y); });
    return order;
  }

  std::string known_nodes() const {
    std::vector<std::string> shown;
    for (std::size_t i = 0; i < t_.nodes.size() && i < kKnownNodesShown; ++i) {
      shown.push_back(t_.nodes[i].name);
    }
    std::string list = fmt::format("{}", fmt::join(shown, ", "));
    if (t_.nodes.size() > kKnownNodesShown) {
      list += fmt::format(", … (first {} of {})", kKnownNodesShown, t_.nodes.size());
    }
    return list;
  }

  std::size_t endpoint(const Link& l, const std::string& name, std::string_view field) const {
    auto it = index_.find(name);
    if (it == index_.end()) {
      fail(field_pointer(l.json_pointer, field),
           fmt::format("unknown node \"{}\"; known nodes are {}", name, known_nodes()));
    }
    return it->second;
  }

  void check_links() {
    degree_.assign(t_.nodes.size(), 0);
    std::map<std::pair<std::size_t, std::size_t>, std::size_t> pairs;
    std::vector<std::size_t> scale_up(t_.nodes.size(), 0), scale_out(t_.nodes.size(), 0);
    for (std::size_t i = 0; i < t_.links.size(); ++i) {
      const Link& l = t_.links[i];
      const std::size_t a = endpoint(l, l.a, "a");
      const std::size_t b = endpoint(l, l.b, "b");
      if (a == b) {
        fail(field_pointer(l.json_pointer, "b"),
             fmt::format("a link must connect two different nodes; both ends are \"{}\"", l.a));
      }
      auto [it, inserted] = pairs.emplace(std::minmax(a, b), i);
      if (!inserted) {
        fail(l.json_pointer,
             fmt::format("duplicate link between \"{}\" and \"{}\" (at most one link per pair of "
                         "nodes), first defined at {}",
                         l.a, l.b, t_.links[it->second].json_pointer));
      }
      if (l.params.mtu < kMinMtu || l.params.mtu > kMaxMtu) {
        fail(field_pointer(l.json_pointer, "mtu"), mtu_range_message(std::to_string(l.params.mtu)));
      }
      if (l.params.bandwidth_bps == 0) {
        fail(field_pointer(l.json_pointer, "bandwidth"), "bandwidth must be > 0");
      }
      for (std::size_t end : {a, b}) {
        ++degree_[end];
        const Node& n = t_.nodes[end];
        if (n.kind != NodeKind::gpu) continue;
        const bool up = l.tier == Tier::scale_up;
        std::size_t& count = up ? scale_up[end] : scale_out[end];
        if (++count > kMaxGpuLinksPerTier) {
          fail(l.json_pointer,
               fmt::format("gpu \"{}\" has more than {} {} links (its interfaces are {}0..{}{})",
                           n.name, kMaxGpuLinksPerTier, to_string(l.tier), up ? "nvl" : "nic",
                           up ? "nvl" : "nic", kMaxGpuLinksPerTier - 1));
        }
      }
    }
  }

  void check_dangling() const {
    for (std::size_t i = 0; i < t_.nodes.size(); ++i) {
      if (degree_[i] == 0) {
        const Node& n = t_.nodes[i];
        fail(n.json_pointer, fmt::format("node \"{}\" has no links (dangling); every node needs "
                                         "at least one link",
                                         n.name));
      }
    }
  }

  // Switches are Linux bridges without STP: the switch–switch subgraph must be a forest.
  void check_l2_forest() const {
    std::vector<std::size_t> parent(t_.nodes.size());
    std::iota(parent.begin(), parent.end(), std::size_t{0});
    auto find = [&](std::size_t x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    std::vector<std::vector<std::size_t>> adjacent(t_.nodes.size());
    for (const Link& l : t_.links) {
      const std::size_t a = index_.at(l.a), b = index_.at(l.b);
      if (t_.nodes[a].kind != NodeKind::switch_ || t_.nodes[b].kind != NodeKind::switch_) continue;
      if (find(a) == find(b)) {
        std::vector<std::size_t> path = forest_path(adjacent, a, b);
        std::vector<std::string> names;
        for (std::size_t n : path) names.push_back(t_.nodes[n].name);
        names.push_back(t_.nodes[a].name);
        fail(l.json_pointer,
             fmt::format("link \"{}\"–\"{}\" closes an L2 loop {}; switch-to-switch links must "
                         "form a tree (switches are bridges without spanning tree)",
                         l.a, l.b, fmt::join(names, " → ")));
      }
      parent[find(a)] = find(b);
      adjacent[a].push_back(b);
      adjacent[b].push_back(a);
    }
  }

  // The unique path from `from` to `to` in a forest (BFS), both included.
  static std::vector<std::size_t> forest_path(const std::vector<std::vector<std::size_t>>& adj,
                                              std::size_t from, std::size_t to) {
    const std::size_t none = adj.size();
    std::vector<std::size_t> previous(adj.size(), none);
    std::queue<std::size_t> queue;
    queue.push(from);
    previous[from] = from;
    while (!queue.empty()) {
      const std::size_t x = queue.front();
      queue.pop();
      if (x == to) break;
      for (std::size_t y : adj[x]) {
        if (previous[y] == none) {
          previous[y] = x;
          queue.push(y);
        }
      }
    }
    std::vector<std::size_t> path;
    for (std::size_t x = to; x != from; x = previous[x]) path.push_back(x);
    path.push_back(from);
    std::reverse(path.begin(), path.end());
    return path;
  }

  const Topology& t_;
  std::unordered_map<std::string, std::size_t> index_;
  std::vector<std::size_t> degree_;
};

}  // namespace

void validate_topology(const Topology& topology) { Validator(topology).run(); }

}  // namespace scalelab::model
