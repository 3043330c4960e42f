#include "emulator/runtime/status.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "emulator/netlink/addresses.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/shard_nodes.h"

namespace scalelab::runtime {

nlohmann::json cluster_status(const std::string& cluster) {
  auto dir = ClusterDir::open(cluster);
  if (!dir) throw std::runtime_error("no cluster named \"" + cluster + "\" is up (scalelab status lists those that are)");
  auto state = dir->read_json("state.json").value_or(nlohmann::json::object());
  auto plan = dir->read_json("plan.json").value_or(nlohmann::json::object());

  // A shard reports its own nodes; the operator joins the machines' reports.
  const auto here = shard_nodes(*dir);
  nlohmann::json nodes = nlohmann::json::array();
  std::size_t missing = 0, down_links = 0;
  for (const auto& ns : plan.value("namespaces", nlohmann::json::array())) {
    if (here && !here->count(ns["node"].get<std::string>())) continue;
    nlohmann::json node = {{"node", ns["node"]}, {"kind", ns["kind"]}, {"netns", ns["netns"]}};
    if (ns.contains("rank")) node["rank"] = ns["rank"];
    const std::string netns = ns["netns"];
    if (!nl::named_netns_exists(netns)) {
      node["present"] = false;
      missing++;
      nodes.push_back(node);
      continue;
    }
    node["present"] = true;
    auto handle = nl::NamedNetns::open(netns);
    nl::RouteSocket sock(handle.fd());
    std::map<int, std::vector<std::string>> addresses;
    for (const auto& a : nl::list_ipv4_addresses(sock)) addresses[a.ifindex].push_back(a.cidr);
    std::map<std::string, nlohmann::json> planned;
    for (const auto& i : ns["interfaces"]) planned[i["ifname"]] = i;
    nlohmann::json ifaces = nlohmann::json::array();
    for (const auto& link : nl::list_links(sock)) {
      if (link.ifname == "lo") continue;
      nlohmann::json i = {{"ifname", link.ifname}, {"kind", link.kind}, {"up", link.admin_up}, {"carrier", link.carrier},
                          {"mtu", link.mtu}, {"addresses", addresses[link.ifindex]}, {"rx_bytes", link.rx_bytes},
                          {"tx_bytes", link.tx_bytes}, {"tx_dropped", link.tx_dropped}};
      if (auto p = planned.find(link.ifname); p != planned.end()) {
        i["peer"] = p->second["peer"];
        i["tier"] = p->second["tier"];
        // The kernel's rate, so a degraded link shows what it runs at; the plan's beside it.
        i["planned_rate_bps"] = p->second["egress"]["rate_bps"];
        const auto rate = nl::htb_class_rate(sock, link.ifindex);
        i["rate_bps"] = rate ? nlohmann::json(*rate) : nlohmann::json(nullptr);
        if (!(link.admin_up && link.carrier)) down_links++;
      }
      ifaces.push_back(std::move(i));
    }
    node["interfaces"] = std::move(ifaces);
    nodes.push_back(std::move(node));
  }
  nlohmann::json out = {{"cluster", cluster}, {"state", state.value("state", "unknown")}, {"pid", state.value("pid", 0)},
          {"started", state.value("started", "")}, {"source", state.value("source", "")},
          {"dilation", plan.value("dilation", 1.0)}, {"netem", state.value("netem", false)},
          {"warnings", state.value("warnings", nlohmann::json::array())}, {"missing_namespaces", missing},
          {"interfaces_down", down_links}, {"nodes", nodes}};
  if (state.contains("shard")) out["machine"] = state["shard"].value("machine", "");
  return out;
}

nlohmann::json all_clusters_status() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& name : ClusterDir::list()) {
    auto dir = ClusterDir::open(name);
    auto state = dir->read_json("state.json").value_or(nlohmann::json::object());
    auto plan = dir->read_json("plan.json").value_or(nlohmann::json::object());
    out.push_back({{"cluster", name}, {"state", state.value("state", "unknown")}, {"source", state.value("source", "")},
                   {"started", state.value("started", "")},
                   {"namespaces", plan.value("namespaces", nlohmann::json::array()).size()}});
  }
  return out;
}

std::string status_to_text(const nlohmann::json& status) {
  std::string out = fmt::format("cluster {}: {} (from {}, since {}, dilation {})\n", status["cluster"].get<std::string>(),
                                status["state"].get<std::string>(), status["source"].get<std::string>(),
                                status["started"].get<std::string>(), status["dilation"].dump());
  out += fmt::format("  {} namespaces, {} missing, {} planned interfaces not up, netem {}\n", status["nodes"].size(),
                     status["missing_namespaces"].get<std::size_t>(), status["interfaces_down"].get<std::size_t>(),
                     status["netem"].get<bool>() ? "on" : "off");
  for (const auto& w : status["warnings"]) out += "  warning: " + w.get<std::string>() + "\n";
  for (const auto& node : status["nodes"]) {
    out += fmt::format("  {:<8} {:<6} {}{}\n", node["node"].get<std::string>(), node["kind"].get<std::string>(),
                       node["present"].get<bool>() ? node["netns"].get<std::string>() : "MISSING",
                       node.contains("machine") ? " on " + node["machine"].get<std::string>() : "");
    if (!node.contains("interfaces")) continue;
    for (const auto& i : node["interfaces"]) {
      std::string addrs;
      for (const auto& a : i["addresses"]) addrs += a.get<std::string>() + " ";
      out += fmt::format("      {:<8} {:<4} {:<7} mtu {:<5} {:>12} {}\n", i["ifname"].get<std::string>(),
                         i["up"].get<bool>() ? "UP" : "DOWN", i["carrier"].get<bool>() ? "carrier" : "no-carr",
                         i["mtu"].get<unsigned>(), i.contains("rate_bps") && i["rate_bps"].is_number() ? fmt::format("{} bit/s", i["rate_bps"].get<std::uint64_t>()) : "",
                         addrs);
    }
  }
  return out;
}

}  // namespace scalelab::runtime
