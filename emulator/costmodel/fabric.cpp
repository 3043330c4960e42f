#include "emulator/costmodel/fabric.h"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::costmodel::detail {
namespace {

using model::NodeKind;
using model::Tier;

std::string role_of(const model::Node& from, const model::Node& to, Tier tier) {
  const bool gpu_from = from.kind == NodeKind::gpu, gpu_to = to.kind == NodeKind::gpu;
  if (gpu_from && gpu_to) return "direct";
  if (tier == Tier::scale_up) return gpu_from || gpu_to ? "nvlink" : "fabric";
  if (gpu_from || gpu_to) return "nic";
  if (from.kind == NodeKind::switch_ && to.kind == NodeKind::router) return "uplink";
  if (from.kind == NodeKind::router && to.kind == NodeKind::switch_) return "downlink";
  return "fabric";
}

}  // namespace

Fabric::Fabric(const plan::Plan& plan, Ecmp ecmp) : topology_(plan.topology), ecmp_(ecmp) {
  const auto& nodes = topology_.nodes;
  std::unordered_map<std::string, int> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) index[nodes[i].name] = static_cast<int>(i);
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].kind == NodeKind::gpu) {
      rank_node_.push_back(static_cast<int>(i));
      domains_.push_back(nodes[i].domain);
    }
  if (rank_node_.empty()) throw std::invalid_argument("the plan has no gpus (was it built with build_plan?)");

  // Emulated figures are the plan's own qdisc parameters: what the kernel will enforce.
  std::vector<const plan::VethPair*> veth_of(topology_.links.size(), nullptr);
  for (const auto& v : plan.veths)
    if (v.link >= 0 && static_cast<std::size_t>(v.link) < veth_of.size()) veth_of[static_cast<std::size_t>(v.link)] = &v;

  out_.resize(nodes.size());
  links_.resize(2 * topology_.links.size());
  for (std::size_t l = 0; l < topology_.links.size(); ++l) {
    const auto& link = topology_.links[l];
    const int a = index.at(link.a), b = index.at(link.b);
    const plan::VethPair* veth = veth_of[l];
    for (int side = 0; side < 2; ++side) {
      DirectedLink& d = links_[2 * l + static_cast<std::size_t>(side)];
      d.link = static_cast<int>(l);
      d.from = side == 0 ? a : b;
      d.to = side == 0 ? b : a;
      d.tier = link.tier;
      d.mtu = link.params.mtu;
      d.bps[kReal] = static_cast<double>(link.params.bandwidth_bps);
      d.latency_s[kReal] = static_cast<double>(link.params.latency_ns) * 1e-9;
      if (veth != nullptr) {
        const std::size_t ns = side == 0 ? veth->a_ns : veth->b_ns;
        const std::size_t ifi = side == 0 ? veth->a_if : veth->b_if;
        const plan::Shaping& egress = plan.namespaces.at(ns).interfaces.at(ifi).egress;
        d.bps[kEmulated] = static_cast<double>(egress.rate_bps);
        d.latency_s[kEmulated] = static_cast<double>(egress.delay_ns) * 1e-9;
      } else {  // a hand-built plan without veths: dilate as the plan would
        d.bps[kEmulated] = d.bps[kReal] / plan.dilation;
        d.latency_s[kEmulated] = d.latency_s[kReal] * plan.dilation;
      }
      d.role = role_of(nodes[static_cast<std::size_t>(d.from)], nodes[static_cast<std::size_t>(d.to)], link.tier);
      out_[static_cast<std::size_t>(d.from)].push_back(static_cast<int>(2 * l) + side);
    }
  }
  for (int node : rank_node_) {
    first_up_.push_back(first_link(node, Tier::scale_up));
    first_out_.push_back(first_link(node, Tier::scale_out));
  }
}

const std::string& Fabric::rank_name(int rank) const {
  return topology_.nodes[static_cast<std::size_t>(rank_node_.at(static_cast<std::size_t>(rank)))].name;
}

const std::string& Fabric::node_name(int node) const { return topology_.nodes.at(static_cast<std::size_t>(node)).name; }

int Fabric::first_link(int node, Tier tier) const {
  // The agents use a gpu's first interface of a tier (nvl0, nic0): its first link of that tier.
  for (int id : out_[static_cast<std::size_t>(node)])
    if (links_[static_cast<std::size_t>(id)].tier == tier) return id;
  return -1;
}

Route Fabric::route(int a, int b) const {
  const auto& nodes = topology_.nodes;
  const auto ua = static_cast<std::size_t>(a), ub = static_cast<std::size_t>(b);
  const int src = rank_node_.at(ua), dst = rank_node_.at(ub);
  Route r;
  r.tier = (domains_[ua] >= 0 && domains_[ua] == domains_[ub]) ? Tier::scale_up : Tier::scale_out;
  auto unreachable = [&](const std::string& why) {
    return std::runtime_error(fmt::format("rank {} ({}) cannot reach rank {} ({}) over {}: {}", a, nodes[src].name, b,
                                          nodes[dst].name, model::to_string(r.tier), why));
  };
  const int entry = (r.tier == Tier::scale_up ? first_up_ : first_out_)[ua];
  if (entry < 0) throw unreachable(fmt::format("{} has no {} link", nodes[src].name, model::to_string(r.tier)));
  const DirectedLink& in = links_[static_cast<std::size_t>(entry)];
  if (in.to == dst) {  // a direct gpu–gpu link
    r.links = {{entry, 1.0}};
    r.hops = 1;
    for (int u = 0; u < 2; ++u) r.latency_s[u] = in.latency_s[u];
    r.mtu = in.mtu;
    return r;
  }
  const int back = (r.tier == Tier::scale_up ? first_up_ : first_out_)[ub];
  if (back < 0) throw unreachable(fmt::format("{} has no {} link", nodes[dst].name, model::to_string(r.tier)));
  const int exit_id = back ^ 1;  // the same link, toward dst
  const DirectedLink& out = links_[static_cast<std::size_t>(exit_id)];
  const int x = in.to, y = out.from;
  if (nodes[static_cast<std::size_t>(x)].kind == NodeKind::gpu || nodes[static_cast<std::size_t>(y)].kind == NodeKind::gpu)
    throw unreachable("gpus do not forward traffic for other gpus");
  const Inner* mid = nullptr;
  try {
    mid = &inner(x, y, r.tier);
  } catch (const std::runtime_error& e) {
    throw unreachable(e.what());
  }
  r.links.reserve(mid->links.size() + 2);
  r.links.push_back({entry, 1.0});
  r.links.insert(r.links.end(), mid->links.begin(), mid->links.end());
  r.links.push_back({exit_id, 1.0});
  r.hops = mid->hops + 2;
  for (int u = 0; u < 2; ++u) r.latency_s[u] = in.latency_s[u] + mid->latency_s[u] + out.latency_s[u];
  r.mtu = std::min({in.mtu, out.mtu, mid->mtu});
  return r;
}

const Fabric::Inner& Fabric::inner(int x, int y, Tier tier) const {
  const std::uint64_t key = (static_cast<std::uint64_t>(x) << 33) | (static_cast<std::uint64_t>(y) << 1) |
                            (tier == Tier::scale_up ? 1u : 0u);
  if (auto it = inner_cache_.find(key); it != inner_cache_.end()) return it->second;
  const auto& nodes = topology_.nodes;
  auto kind = [&](int v) { return nodes[static_cast<std::size_t>(v)].kind; };
  Inner r;
  r.mtu = std::numeric_limits<std::uint32_t>::max();
  if (x != y) {
    // Shortest paths (by links) from x to y through switches and routers of this tier.
    constexpr int kFar = std::numeric_limits<int>::max();
    std::vector<int> dist(nodes.size(), kFar);
    std::vector<int> order{y};  // BFS order from y: increasing distance
    dist[static_cast<std::size_t>(y)] = 0;
    for (std::size_t i = 0; i < order.size(); ++i) {
      const int v = order[i];
      for (int id : out_[static_cast<std::size_t>(v)]) {
        const DirectedLink& d = links_[static_cast<std::size_t>(id)];
        if (d.tier != tier || kind(d.to) == NodeKind::gpu || dist[static_cast<std::size_t>(d.to)] != kFar) continue;
        dist[static_cast<std::size_t>(d.to)] = dist[static_cast<std::size_t>(v)] + 1;
        order.push_back(d.to);
      }
    }
    const int dx = dist[static_cast<std::size_t>(x)];
    if (dx == kFar)
      throw std::runtime_error(fmt::format("no {} path from {} to {}", model::to_string(tier),
                                           nodes[static_cast<std::size_t>(x)].name, nodes[static_cast<std::size_t>(y)].name));

    // Next hops of v toward y: its links to nodes one step closer (lowest link first). The links
    // leaving v are its links to the nodes it reaches, so v → w is on a shortest path when w is closer.
    auto next_hops = [&](int v) {
      std::vector<int> hops;
      for (int id : out_[static_cast<std::size_t>(v)]) {
        const DirectedLink& d = links_[static_cast<std::size_t>(id)];
        const int dw = dist[static_cast<std::size_t>(d.to)];
        if (d.tier == tier && kind(d.to) != NodeKind::gpu && dw != kFar && dw == dist[static_cast<std::size_t>(v)] - 1)
          hops.push_back(id);
      }
      if (ecmp_ == Ecmp::collide && hops.size() > 1) hops.resize(1);
      return hops;
    };

    // Latency to y along the slowest equal-cost path (nodes in increasing distance).
    std::vector<std::array<double, 2>> latency_to_y(nodes.size(), {0.0, 0.0});
    std::vector<std::uint32_t> mtu_to_y(nodes.size(), std::numeric_limits<std::uint32_t>::max());
    for (int v : order) {
      const auto uv = static_cast<std::size_t>(v);
      if (v == y || dist[uv] > dx) continue;
      for (int id : next_hops(v)) {
        const DirectedLink& d = links_[static_cast<std::size_t>(id)];
        const auto uw = static_cast<std::size_t>(d.to);
        for (int u = 0; u < 2; ++u) latency_to_y[uv][u] = std::max(latency_to_y[uv][u], d.latency_s[u] + latency_to_y[uw][u]);
        mtu_to_y[uv] = std::min({mtu_to_y[uv], d.mtu, mtu_to_y[uw]});
      }
    }

    // The message's fraction on every link: split evenly over next hops at every node (a router's
    // ECMP route; with one spine, or through bridges only, there is a single path).
    std::vector<double> share(nodes.size(), 0.0);
    share[static_cast<std::size_t>(x)] = 1.0;
    for (auto it = order.rbegin(); it != order.rend(); ++it) {  // decreasing distance
      const int v = *it;
      if (share[static_cast<std::size_t>(v)] == 0.0 || v == y) continue;
      const auto hops = next_hops(v);
      for (int id : hops) {
        const double f = share[static_cast<std::size_t>(v)] / static_cast<double>(hops.size());
        r.links.push_back({id, f});
        share[static_cast<std::size_t>(links_[static_cast<std::size_t>(id)].to)] += f;
      }
    }
    r.hops = dx;
    for (int u = 0; u < 2; ++u) r.latency_s[u] = latency_to_y[static_cast<std::size_t>(x)][u];
    r.mtu = mtu_to_y[static_cast<std::size_t>(x)];
  }
  return inner_cache_.emplace(key, std::move(r)).first->second;
}

MessageCosts evaluate(const Fabric& fabric, const std::vector<Message>& messages, Transport transport, int units) {
  MessageCosts c;
  const std::size_t n = messages.size();
  c.alpha_s.resize(n);
  c.rate_Bps.resize(n);
  c.hops.resize(n);
  std::vector<Route> routes;
  routes.reserve(n);
  // Per directed link: transport-weighted messages on it, messages on it (fractional under ECMP),
  // messages with any share on it.
  std::vector<double> load(fabric.link_count(), 0.0), on_link(fabric.link_count(), 0.0);
  std::vector<int> crossing(fabric.link_count(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    routes.push_back(fabric.route(messages[i].src, messages[i].dst));
    // Wire bytes per payload byte: a message over TCP needs 1/efficiency of a link's rate.
    const double weight = 1.0 / transport_efficiency(transport, routes[i].mtu);
    for (const auto& [id, f] : routes[i].links) {
      const auto uid = static_cast<std::size_t>(id);
      load[uid] += f * weight;
      on_link[uid] += f;
      crossing[uid] += 1;
    }
  }
  double slowest = std::numeric_limits<double>::infinity();
  int bottleneck_link = -1;
  for (std::size_t i = 0; i < n; ++i) {
    const Route& r = routes[i];
    double rate = std::numeric_limits<double>::infinity();
    int limiting = -1;
    for (const auto& [id, f] : r.links) {
      // All messages on a link progress together (a ring step, a pairwise step): each gets
      // capacity ÷ weighted load of payload bytes.
      const double share = fabric.link(id).bps[units] / 8.0 / load[static_cast<std::size_t>(id)];
      if (share < rate) {
        rate = share;
        limiting = id;
      }
    }
    c.alpha_s[i] = r.latency_s[units];
    c.rate_Bps[i] = rate;
    c.hops[i] = r.hops;
    if (rate < slowest) {
      slowest = rate;
      c.bottleneck_message = static_cast<int>(i);
      bottleneck_link = limiting;
    }
  }
  if (bottleneck_link >= 0) {
    const DirectedLink& d = fabric.link(bottleneck_link);
    const auto ub = static_cast<std::size_t>(bottleneck_link);
    c.bottleneck.from = fabric.node_name(d.from);
    c.bottleneck.to = fabric.node_name(d.to);
    c.bottleneck.tier = d.tier;
    c.bottleneck.role = d.role;
    c.bottleneck.capacity_bps = d.bps[units];
    c.bottleneck.load = on_link[ub];
    c.bottleneck.messages = crossing[ub];
  }
  return c;
}

}  // namespace scalelab::costmodel::detail
