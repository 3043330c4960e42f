// Topology → Plan: namespaces and interfaces, L2 segments and their subnets, routes, shaping.
#include <algorithm>
#include <array>
#include <stdexcept>
#include <unordered_map>

#include "emulator/plan/ipv4.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/routing.h"
#include "emulator/plan/segments.h"
#include "emulator/plan/shaping.h"

namespace scalelab::plan {
namespace {

// The address plan: 198.18.0.0/15, the range reserved for benchmarking (RFC 2544).
const Subnet kScaleUpBlock{0xC6120000u, 16};        // 198.18.0.0/16: scale-up domains
const Subnet kScaleOutBlock{0xC6130000u, 17};       // 198.19.0.0/17: segments with gpus on the scale-out tier
const Subnet kInfrastructureBlock{0xC6138000u, 17}; // 198.19.128.0/17: switch/router interconnects

constexpr std::uint64_t kAutoDilationCeilingBps = 4'000'000'000;  // until `doctor --capacity` measures it

void add_interfaces(const model::Topology& topology, Plan& plan, const std::unordered_map<std::string, std::size_t>& ns_of) {
  std::vector<int> scale_up_count(plan.namespaces.size()), scale_out_count(plan.namespaces.size());
  for (auto& ns : plan.namespaces) {
    const model::Node& node = *topology.find(ns.node);
    for (const auto& link : topology.links)
      if (link.a == node.name || link.b == node.name) {
        const auto& peer = *topology.find(link.a == node.name ? link.b : link.a);
        ns.has_bridge |= is_bridge_port(topology, node, peer);
        ns.forwarding |= node.kind != model::NodeKind::gpu && !is_bridge_port(topology, node, peer);
      }
  }
  std::vector<int> next_ifindex(plan.namespaces.size());
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i) next_ifindex[i] = plan.namespaces[i].has_bridge ? kBridgeIfindex + 1 : 2;

  for (std::size_t l = 0; l < topology.links.size(); ++l) {
    const auto& link = topology.links[l];
    const double dilation = plan.dilation;
    std::size_t ends[2] = {ns_of.at(link.a), ns_of.at(link.b)};
    std::size_t iface_index[2];
    for (int side = 0; side < 2; ++side) {
      auto& ns = plan.namespaces[ends[side]];
      const auto& self = *topology.find(ns.node);
      const auto& peer = *topology.find(plan.namespaces[ends[1 - side]].node);
      Interface iface;
      if (self.kind == model::NodeKind::gpu) {
        auto& counter = link.tier == Tier::scale_up ? scale_up_count[ends[side]] : scale_out_count[ends[side]];
        iface.ifname = (link.tier == Tier::scale_up ? "nvl" : "nic") + std::to_string(counter++);
      } else {
        iface.ifname = peer.name;
      }
      iface.ifindex = next_ifindex[ends[side]]++;
      iface.link = static_cast<int>(l);
      iface.tier = link.tier;
      iface.mtu = link.params.mtu;
      iface.bridge_port = is_bridge_port(topology, self, peer);
      iface.egress = make_shaping(link.params, dilation);
      if (iface.bridge_port) ns.bridge_mtu = std::max(ns.bridge_mtu, iface.mtu);
      iface_index[side] = ns.interfaces.size();
      ns.interfaces.push_back(std::move(iface));
    }
    for (int side = 0; side < 2; ++side) {
      auto& iface = plan.namespaces[ends[side]].interfaces[iface_index[side]];
      const auto& other = plan.namespaces[ends[1 - side]];
      iface.peer_node = other.node;
      iface.peer_ifname = other.interfaces[iface_index[1 - side]].ifname;
    }
    plan.veths.push_back({static_cast<int>(l), ends[0], ends[1], iface_index[0], iface_index[1]});
  }
  // A bridge takes the smallest MTU of its ports unless told otherwise; all ports of one
  // bridge share a tier in sane topologies, so the largest is the intended one.
}

void assign_addresses_and_routes(const model::Topology& topology, Plan& plan, const std::unordered_map<std::string, std::size_t>& ns_of) {
  auto members = find_segments(topology);
  SubnetPool scale_up("scale-up", kScaleUpBlock), scale_out("scale-out", kScaleOutBlock),
      infrastructure("infrastructure", kInfrastructureBlock);

  // Where each link end sits: (namespace, interface index), found by link id.
  std::vector<std::array<std::pair<std::size_t, std::size_t>, 2>> ends_of_link(topology.links.size());
  for (const auto& v : plan.veths) ends_of_link[v.link] = {std::pair{v.a_ns, v.a_if}, std::pair{v.b_ns, v.b_if}};

  std::vector<L3Node> l3(plan.namespaces.size());
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i) l3[i].forwarder = plan.namespaces[i].forwarding;
  std::vector<Subnet> subnets;
  std::vector<bool> has_gpus;

  for (std::size_t s = 0; s < members.size(); ++s) {
    const auto& seg = members[s];
    Segment out;
    out.tier = Tier::scale_out;
    // L3 members: SVIs of routing switches first (they are the gateways, .1), then interfaces.
    std::vector<std::size_t> svis;
    for (auto sw : seg.switches) {
      std::size_t ns = ns_of.at(topology.nodes[sw].name);
      if (plan.namespaces[ns].forwarding) svis.push_back(ns);
    }
    std::vector<std::pair<std::size_t, std::size_t>> l3_ends;
    for (auto l : seg.links) {
      if (topology.links[l].tier == Tier::scale_up) out.tier = Tier::scale_up;
      for (auto [ns, ifi] : ends_of_link[l]) {
        if (plan.namespaces[ns].interfaces[ifi].bridge_port) continue;
        l3_ends.push_back({ns, ifi});
        out.has_gpus |= plan.namespaces[ns].kind == NodeKind::gpu;
      }
    }
    auto& pool = out.tier == Tier::scale_up ? scale_up : (out.has_gpus ? scale_out : infrastructure);
    std::uint32_t hosts = static_cast<std::uint32_t>(svis.size() + l3_ends.size());
    Subnet subnet = hosts == 0 ? Subnet{} : pool.allocate(hosts, seg.switches.empty() && hosts == 2);
    std::string suffix = "/" + std::to_string(subnet.prefix);
    // In a /31 both addresses are hosts (RFC 3021); otherwise skip the network address.
    std::uint32_t next = subnet.prefix == 31 ? 0 : 1;
    for (auto ns : svis) {
      std::uint32_t addr = subnet.host(next++);
      plan.namespaces[ns].bridge_address = ipv4_to_string(addr) + suffix;
      l3[ns].attachments.push_back({s, addr, "br0", kBridgeIfindex});
      out.members.push_back(plan.namespaces[ns].node + ":br0");
    }
    for (auto [ns, ifi] : l3_ends) {
      std::uint32_t addr = subnet.host(next++);
      auto& iface = plan.namespaces[ns].interfaces[ifi];
      iface.address = ipv4_to_string(addr) + suffix;
      l3[ns].attachments.push_back({s, addr, iface.ifname, iface.ifindex});
      out.members.push_back(plan.namespaces[ns].node + ":" + iface.ifname);
    }
    out.subnet = hosts == 0 ? "" : subnet.to_string();
    subnets.push_back(subnet);
    has_gpus.push_back(out.has_gpus && hosts > 0);
    plan.segments.push_back(std::move(out));
  }

  auto routes = compute_routes(l3, subnets, has_gpus);
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i) plan.namespaces[i].routes = std::move(routes[i]);
}

TierSummary summarize_tier(const model::Topology& topology, Tier tier, double dilation) {
  TierSummary t;
  for (const auto& l : topology.links) {
    if (l.tier != tier) continue;
    // The GPU-facing link is what a collective sees per rank; report the first such link.
    bool gpu_end = topology.find(l.a)->kind == NodeKind::gpu || topology.find(l.b)->kind == NodeKind::gpu;
    if (!gpu_end) continue;
    t.present = true;
    t.bandwidth_bps = l.params.bandwidth_bps;
    t.latency_ns = l.params.latency_ns;
    t.emulated_bandwidth_bps = dilate_rate(t.bandwidth_bps, dilation);
    t.emulated_latency_ns = dilate_time(t.latency_ns, dilation);
    break;
  }
  return t;
}

}  // namespace

std::string netns_name(const std::string& cluster, const std::string& node) { return "sl-" + cluster + "-" + node; }

std::size_t Plan::gpu_count() const {
  return std::count_if(namespaces.begin(), namespaces.end(), [](const auto& n) { return n.kind == NodeKind::gpu; });
}

std::vector<int> gpu_domains(const Plan& plan) {
  std::vector<int> out;
  for (const auto& ns : plan.namespaces)
    if (ns.kind == NodeKind::gpu) out.push_back(ns.domain);
  return out;
}

const Namespace* Plan::find(const std::string& node) const {
  for (const auto& ns : namespaces)
    if (ns.node == node) return &ns;
  return nullptr;
}

bool Plan::needs_netem() const {
  for (const auto& ns : namespaces)
    for (const auto& i : ns.interfaces)
      if (i.egress.needs_netem()) return true;
  return false;
}

Plan build_plan(const model::Topology& topology, double dilation) {
  Plan plan;
  plan.cluster = topology.name;
  plan.source = topology.source;
  if (dilation > 0)
    plan.dilation = dilation;
  else if (topology.dilation_auto)
    plan.dilation = default_auto_dilation(topology, kAutoDilationCeilingBps);
  else
    plan.dilation = topology.dilation;

  std::unordered_map<std::string, std::size_t> ns_of;
  int rank = 0;
  for (const auto& node : topology.nodes) {
    Namespace ns;
    ns.node = node.name;
    ns.netns = netns_name(topology.name, node.name);
    ns.kind = node.kind;
    if (node.kind == NodeKind::gpu) {
      ns.rank = rank++;
      ns.host = node.host;
      ns.local_rank = node.local_rank;
      ns.domain = node.domain;
    }
    ns_of[node.name] = plan.namespaces.size();
    plan.namespaces.push_back(std::move(ns));
  }
  add_interfaces(topology, plan, ns_of);
  assign_addresses_and_routes(topology, plan, ns_of);
  plan.scale_up = summarize_tier(topology, Tier::scale_up, plan.dilation);
  plan.scale_out = summarize_tier(topology, Tier::scale_out, plan.dilation);
  plan.topology = topology;
  return plan;
}

}  // namespace scalelab::plan
