#include "emulator/plan/hosts_file.h"

namespace scalelab::plan {

std::optional<ReachableInterface> reachable_interface(const nlohmann::json& rank) {
  for (const char* tier : {"scale_out", "scale_up"}) {
    auto it = rank.find(tier);
    if (it != rank.end() && it->is_object() && it->contains("address"))
      return ReachableInterface{it->value("ifname", ""), (*it)["address"].get<std::string>()};
  }
  return std::nullopt;
}

std::string node_domain_name(const std::string& node, const std::string& cluster) { return node + "." + cluster; }

std::string hosts_file_text(const nlohmann::json& cluster_file) {
  const std::string cluster = cluster_file.value("name", "");
  std::string out = "# scalelab cluster " + cluster +
                    ": each GPU's hostname and the address that reaches it across the fabric.\n"
                    "# Bind-mounted over /etc/hosts for processes that scalelab starts in the cluster.\n"
                    "127.0.0.1\tlocalhost\n"
                    "::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (const auto& rank : cluster_file.at("ranks")) {
    const std::string node = rank.value("node", "");
    if (auto nic = reachable_interface(rank)) out += nic->address + "\t" + node_domain_name(node, cluster) + " " + node + "\n";
  }
  return out;
}

}  // namespace scalelab::plan
