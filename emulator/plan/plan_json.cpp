#include "emulator/plan/plan_json.h"

#include <fmt/format.h>

#include "emulator/model/units.h"

namespace scalelab::plan {
namespace {

nlohmann::json shaping_json(const Shaping& s) {
  nlohmann::json j = {{"rate_bps", s.rate_bps}, {"burst_bytes", s.burst_bytes}, {"quantum_bytes", s.quantum_bytes}};
  if (s.needs_netem())
    j["netem"] = {{"delay_ns", s.delay_ns}, {"jitter_ns", s.jitter_ns}, {"loss", s.loss}, {"limit_packets", s.netem_limit_packets}};
  return j;
}

nlohmann::json tier_json(const TierSummary& t) {
  if (!t.present) return nullptr;
  return {{"bandwidth_bps", t.bandwidth_bps},
          {"latency_ns", t.latency_ns},
          {"emulated_bandwidth_bps", t.emulated_bandwidth_bps},
          {"emulated_latency_ns", t.emulated_latency_ns}};
}

const Interface* first_interface(const Namespace& ns, Tier tier) {
  for (const auto& i : ns.interfaces)
    if (i.tier == tier && !i.address.empty()) return &i;
  return nullptr;
}

std::string address_only(const std::string& cidr) { return cidr.substr(0, cidr.find('/')); }

}  // namespace

nlohmann::json plan_to_json(const Plan& plan) {
  nlohmann::json namespaces = nlohmann::json::array();
  for (const auto& ns : plan.namespaces) {
    nlohmann::json ifaces = nlohmann::json::array();
    for (const auto& i : ns.interfaces)
      ifaces.push_back({{"ifname", i.ifname},
                        {"ifindex", i.ifindex},
                        {"peer", i.peer_node + ":" + i.peer_ifname},
                        {"tier", model::to_string(i.tier)},
                        {"mtu", i.mtu},
                        {"bridge_port", i.bridge_port},
                        {"address", i.address.empty() ? nlohmann::json(nullptr) : nlohmann::json(i.address)},
                        {"egress", shaping_json(i.egress)}});
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& r : ns.routes) {
      nlohmann::json hops = nlohmann::json::array();
      for (const auto& h : r.nexthops) hops.push_back({{"via", h.gateway}, {"dev", h.ifname}});
      routes.push_back({{"to", r.destination}, {"nexthops", hops}});
    }
    nlohmann::json j = {{"node", ns.node}, {"netns", ns.netns}, {"kind", model::to_string(ns.kind)},
                        {"forwarding", ns.forwarding}, {"interfaces", ifaces}, {"routes", routes}};
    if (ns.has_bridge)
      j["bridge"] = {{"ifname", "br0"}, {"mtu", ns.bridge_mtu},
                     {"address", ns.bridge_address.empty() ? nlohmann::json(nullptr) : nlohmann::json(ns.bridge_address)}};
    if (ns.kind == NodeKind::gpu) j.update({{"rank", ns.rank}, {"host", ns.host}, {"local_rank", ns.local_rank}, {"domain", ns.domain}});
    namespaces.push_back(std::move(j));
  }
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& s : plan.segments)
    segments.push_back({{"subnet", s.subnet}, {"tier", model::to_string(s.tier)}, {"members", s.members}});
  return {{"cluster", plan.cluster}, {"source", plan.source}, {"dilation", plan.dilation},
          {"tiers", {{"scale_up", tier_json(plan.scale_up)}, {"scale_out", tier_json(plan.scale_out)}}},
          {"namespaces", namespaces}, {"segments", segments}, {"veth_pairs", plan.veths.size()}};
}

nlohmann::json cluster_file_json(const Plan& plan, int base_port) {
  nlohmann::json ranks = nlohmann::json::array();
  for (const auto& ns : plan.namespaces) {
    if (ns.kind != NodeKind::gpu) continue;
    nlohmann::json r = {{"rank", ns.rank}, {"node", ns.node}, {"host", ns.host}, {"local_rank", ns.local_rank},
                        {"domain", ns.domain}, {"netns", ns.netns}, {"scale_up", nullptr}, {"scale_out", nullptr}};
    if (auto* up = first_interface(ns, Tier::scale_up)) r["scale_up"] = {{"ifname", up->ifname}, {"address", address_only(up->address)}};
    if (auto* out = first_interface(ns, Tier::scale_out))
      r["scale_out"] = {{"ifname", out->ifname}, {"address", address_only(out->address)}, {"leaf", out->peer_node}};
    ranks.push_back(std::move(r));
  }
  return {{"name", plan.cluster}, {"dilation", plan.dilation}, {"world_size", ranks.size()}, {"base_port", base_port},
          {"ranks", ranks}, {"tiers", {{"scale_up", tier_json(plan.scale_up)}, {"scale_out", tier_json(plan.scale_out)}}}};
}

std::string plan_to_text(const Plan& plan, bool verbose) {
  std::size_t gpus = 0, switches = 0, routers = 0, routes = 0, shaped = 0, netem = 0;
  for (const auto& ns : plan.namespaces) {
    (ns.kind == NodeKind::gpu ? gpus : ns.kind == NodeKind::switch_ ? switches : routers)++;
    routes += ns.routes.size();
    for (const auto& i : ns.interfaces) {
      shaped++;
      netem += i.egress.needs_netem();
    }
  }
  std::string out = fmt::format("cluster {} from {} (dilation {:g})\n", plan.cluster, plan.source, plan.dilation);
  out += fmt::format("  namespaces {} ({} gpu, {} switch, {} router), veth pairs {}, shaped egresses {} ({} with netem), routes {}\n",
                     plan.namespaces.size(), gpus, switches, routers, plan.veths.size(), shaped, netem, routes);
  for (auto [name, t] : {std::pair{"scale_up", &plan.scale_up}, std::pair{"scale_out", &plan.scale_out}}) {
    if (!t->present) continue;
    out += fmt::format("  {:<9} real {} {} → emulated {} {}\n", name, model::format_bandwidth(t->bandwidth_bps),
                       model::format_duration(t->latency_ns), model::format_bandwidth(t->emulated_bandwidth_bps),
                       model::format_duration(t->emulated_latency_ns));
  }
  for (const auto& ns : plan.namespaces) {
    if (!verbose && ns.kind == NodeKind::gpu && ns.rank >= 4) continue;
    out += fmt::format("  {:<8} {:<6} {}", ns.node, model::to_string(ns.kind), ns.netns);
    if (ns.has_bridge) out += fmt::format("  br0{}", ns.bridge_address.empty() ? "" : " " + ns.bridge_address);
    out += "\n";
    for (const auto& i : ns.interfaces)
      out += fmt::format("      {:<8} → {:<14} {:<9} {:>10} mtu {:<5} {}{}\n", i.ifname, i.peer_node + ":" + i.peer_ifname,
                         model::to_string(i.tier), model::format_bandwidth(i.egress.rate_bps), i.mtu,
                         i.bridge_port ? "bridged" : i.address,
                         i.egress.needs_netem() ? " delay " + model::format_duration(i.egress.delay_ns) : "");
    for (const auto& r : ns.routes) {
      out += fmt::format("      route {:<16}", r.destination);
      for (const auto& h : r.nexthops) out += fmt::format(" via {} dev {}", h.gateway, h.ifname);
      out += "\n";
    }
  }
  if (!verbose && gpus > 4) out += fmt::format("  … {} more gpus (--verbose shows all)\n", gpus - 4);
  return out;
}

}  // namespace scalelab::plan
