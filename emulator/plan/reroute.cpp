#include "emulator/plan/reroute.h"

#include <map>

#include "emulator/plan/ipv4.h"
#include "emulator/plan/routing.h"

namespace scalelab::plan {
namespace {

Subnet subnet_of(const std::string& cidr) {
  auto slash = cidr.find('/');
  int prefix = std::stoi(cidr.substr(slash + 1));
  std::uint32_t address = ipv4_from_string(cidr.substr(0, slash));
  std::uint32_t mask = prefix == 0 ? 0 : ~((1u << (32 - prefix)) - 1);
  return {address & mask, prefix};
}

std::uint32_t address_of(const std::string& cidr) { return ipv4_from_string(cidr.substr(0, cidr.find('/'))); }

}  // namespace

std::vector<std::vector<Route>> routes_without(const Plan& plan, const std::set<int>& failed_links) {
  std::vector<Subnet> subnets;
  std::vector<bool> destinations;
  std::map<std::string, std::size_t> segment_of;  // subnet text → index
  for (const auto& s : plan.segments) {
    segment_of[s.subnet] = subnets.size();
    subnets.push_back(s.subnet.empty() ? Subnet{} : subnet_of(s.subnet));
    destinations.push_back(s.has_gpus && !s.subnet.empty());
  }
  std::vector<L3Node> nodes(plan.namespaces.size());
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i) {
    const auto& ns = plan.namespaces[i];
    nodes[i].forwarder = ns.forwarding;
    if (!ns.bridge_address.empty())
      nodes[i].attachments.push_back({segment_of.at(subnet_of(ns.bridge_address).to_string()), address_of(ns.bridge_address), "br0", kBridgeIfindex});
    for (const auto& iface : ns.interfaces) {
      if (iface.address.empty() || failed_links.count(iface.link)) continue;
      nodes[i].attachments.push_back({segment_of.at(subnet_of(iface.address).to_string()), address_of(iface.address), iface.ifname, iface.ifindex});
    }
  }
  return compute_routes(nodes, subnets, destinations);
}

}  // namespace scalelab::plan
