#include "emulator/shard/partition_report.h"

#include <fmt/format.h>

#include "emulator/model/units.h"

namespace scalelab::shard {
namespace {

std::uint64_t cut_bandwidth(const plan::Plan& plan, const Partition& p) {
  std::uint64_t bps = 0;
  for (const auto& c : p.cross) bps += plan.namespaces[plan.veths[c.veth].a_ns].interfaces[plan.veths[c.veth].a_if].egress.rate_bps;
  return bps;
}

std::string endpoint(const plan::Plan& plan, std::size_t ns, std::size_t itf) {
  return plan.namespaces[ns].node + ":" + plan.namespaces[ns].interfaces[itf].ifname;
}

}  // namespace

std::string partition_to_text(const plan::Plan& plan, const Partition& p, bool verbose) {
  std::string out = fmt::format(
      "cluster {} across {} machines: {} scale-up domain(s) kept whole; {} of {} links cross machines "
      "(a VXLAN device each), {} per direction shaped across the cut\n",
      plan.cluster, p.machines.size(), p.domains, p.cross.size(), plan.veths.size(), model::format_bandwidth(cut_bandwidth(plan, p)));
  out += fmt::format("  {:<20} {:>10} {:>6} {:>7} {:>12} {:>12} {:>14} {:>18}\n", "machine", "namespaces", "gpus", "fabric",
                     "local links", "cross links", "shaped egress", "over the underlay");
  for (const auto& m : p.machines)
    out += fmt::format("  {:<20} {:>10} {:>6} {:>7} {:>12} {:>12} {:>14} {:>18}\n", m.machine, m.namespaces, m.gpus, m.fabric_nodes,
                       m.local_links, m.cross_links, model::format_bandwidth(m.shaped_egress_bps),
                       model::format_bandwidth(m.cross_egress_bps));
  if (verbose) {
    for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
      out += fmt::format("  {:<12} → {}\n", plan.namespaces[i].node, p.machines[static_cast<std::size_t>(p.machine_of[i])].machine);
    for (const auto& c : p.cross) {
      const auto& v = plan.veths[c.veth];
      out += fmt::format("  cross {} ({}) ⇄ {} ({})\n", endpoint(plan, v.a_ns, v.a_if), p.machines[static_cast<std::size_t>(c.a_machine)].machine,
                         endpoint(plan, v.b_ns, v.b_if), p.machines[static_cast<std::size_t>(c.b_machine)].machine);
    }
  }
  return out;
}

nlohmann::json partition_to_json(const plan::Plan& plan, const Partition& p) {
  nlohmann::json machines = nlohmann::json::array();
  for (std::size_t m = 0; m < p.machines.size(); ++m) {
    const auto& load = p.machines[m];
    nlohmann::json nodes = nlohmann::json::array();
    for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
      if (p.machine_of[i] == static_cast<int>(m)) nodes.push_back(plan.namespaces[i].node);
    machines.push_back({{"machine", load.machine}, {"namespaces", load.namespaces}, {"gpus", load.gpus},
                        {"fabric_nodes", load.fabric_nodes}, {"local_links", load.local_links}, {"cross_links", load.cross_links},
                        {"shaped_egress_bps", load.shaped_egress_bps}, {"cross_egress_bps", load.cross_egress_bps}, {"nodes", nodes}});
  }
  nlohmann::json cross = nlohmann::json::array();
  for (const auto& c : p.cross) {
    const auto& v = plan.veths[c.veth];
    cross.push_back({{"a", endpoint(plan, v.a_ns, v.a_if)}, {"b", endpoint(plan, v.b_ns, v.b_if)},
                     {"a_machine", p.machines[static_cast<std::size_t>(c.a_machine)].machine},
                     {"b_machine", p.machines[static_cast<std::size_t>(c.b_machine)].machine}});
  }
  return {{"cluster", plan.cluster}, {"domains", p.domains}, {"links", plan.veths.size()}, {"cross_links", p.cross.size()},
          {"cut_bps", cut_bandwidth(plan, p)}, {"machines", machines}, {"cross", cross}};
}

}  // namespace scalelab::shard
