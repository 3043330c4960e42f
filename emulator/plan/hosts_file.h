#pragma once
// The name service a cluster's processes see, as container runtimes give their pods: every
// GPU's hostname resolves to the address that reaches it across the fabric. Without it every
// namespace shares the host's hostname, which resolves to loopback, and frameworks that
// rendezvous by hostname (gloo, NCCL's bootstrap, Open MPI) connect to 127.0.0.1 and fail.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace scalelab::plan {

// The interface of one rank (an entry of the cluster file's "ranks") that reaches every other
// rank: the rail NIC; the scale-up link only when the rank has no rail NIC (a single-domain
// cluster, where it reaches everyone). std::nullopt when the rank has neither.
struct ReachableInterface {
  std::string ifname, address;
};
std::optional<ReachableInterface> reachable_interface(const nlohmann::json& rank);

// "gpu3.tiny": the alias every node also answers to, so names stay unique across clusters.
std::string node_domain_name(const std::string& node, const std::string& cluster);

// /etc/hosts text for the whole cluster: localhost, then one line per GPU,
// "<address>\t<node>.<cluster> <node>", in rank order.
std::string hosts_file_text(const nlohmann::json& cluster_file);

}  // namespace scalelab::plan
