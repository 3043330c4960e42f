#include "emulator/model/compact_expansion.h"

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "emulator/model/topology_validation.h"

namespace scalelab::model::detail {
namespace {

using nlohmann::json;
using u128 = unsigned __int128;

const std::string kCluster = "/cluster";
const std::string kScaleUp = "/cluster/scale_up";
const std::string kScaleOut = "/cluster/scale_out";

Node make_node(std::string name, NodeKind kind, const std::string& pointer) {
  Node n;
  n.name = std::move(name);
  n.kind = kind;
  n.json_pointer = pointer;
  return n;
}

Link make_link(const std::string& a, const std::string& b, Tier tier, const LinkParams& params,
               const std::string& pointer) {
  Link l;
  l.a = a;
  l.b = b;
  l.tier = tier;
  l.params = params;
  l.json_pointer = pointer;
  return l;
}

// ceil(gpus × nic_bps / (oversubscription × spines)), exact when oversubscription is integral.
bool uplink_bandwidth(std::uint64_t gpus, std::uint64_t nic_bps, double oversubscription,
                      std::uint64_t spines, std::uint64_t& out) {
  const u128 numerator = static_cast<u128>(gpus) * nic_bps;
  u128 result = 0;
  if (oversubscription == std::floor(oversubscription) && oversubscription < 9.0e15) {
    const u128 denominator = static_cast<u128>(oversubscription) * spines;
    result = (numerator + denominator - 1) / denominator;
  } else {
    const long double exact = static_cast<long double>(gpus) * static_cast<long double>(nic_bps) /
                              (static_cast<long double>(oversubscription) * spines);
    const long double rounded = std::ceil(exact);
    if (!(rounded < 1.8446744073709551615e19L)) return false;
    result = static_cast<u128>(rounded);
  }
  if (result > ~std::uint64_t{0} || result == 0) return false;
  out = static_cast<std::uint64_t>(result);
  return true;
}

}  // namespace

void expand_compact(const json& cluster, const JsonReader& r, Topology& topology) {
  r.require_object(cluster, kCluster, {"hosts", "gpus_per_host", "scale_up", "scale_out"});
  const auto max_gpus = static_cast<std::int64_t>(kMaxCompactGpus);
  const auto hosts = static_cast<std::size_t>(
      r.integer(r.required(cluster, kCluster, "hosts", "the number of servers, an integer >= 1"),
                kCluster + "/hosts", 1, max_gpus));
  const auto gpus_per_host = static_cast<std::size_t>(r.integer(
      r.required(cluster, kCluster, "gpus_per_host", "the GPUs in each server, an integer >= 1"),
      kCluster + "/gpus_per_host", 1, max_gpus));
  const std::size_t gpus = hosts * gpus_per_host;
  if (gpus > kMaxCompactGpus) {
    r.fail(kCluster, fmt::format("hosts × gpus_per_host = {} × {} = {} GPUs; at most {} are "
                                 "supported",
                                 hosts, gpus_per_host, gpus, kMaxCompactGpus));
  }
  const json* scale_up = JsonReader::optional(cluster, "scale_up");
  const json* scale_out = JsonReader::optional(cluster, "scale_out");
  if (scale_up == nullptr && scale_out == nullptr) {
    r.fail(kCluster, "needs at least one of \"scale_up\" and \"scale_out\"");
  }

  // ---- read everything first, so that size limits are checked before anything is generated.
  // scale_up
  bool domain_per_host = true;
  std::size_t domain_size = gpus_per_host;
  std::size_t domains = 0;
  LinkParams up_params;
  if (scale_up != nullptr) {
    r.require_object(*scale_up, kScaleUp,
                     {"domain", "bandwidth", "latency", "mtu", "jitter", "loss"});
    if (const json* domain = JsonReader::optional(*scale_up, "domain")) {
      const std::string ptr = kScaleUp + "/domain";
      if (domain->is_string()) {
        if (domain->get_ref<const std::string&>() != "host") {
          r.fail(ptr, fmt::format("expected \"host\" or a domain size (an integer >= 1), got {}",
                                  describe(*domain)));
        }
      } else if (domain->is_number_integer()) {
        domain_per_host = false;
        domain_size = static_cast<std::size_t>(r.integer(*domain, ptr, 1, max_gpus));
        if (gpus % domain_size != 0) {
          r.fail(ptr, fmt::format("a domain size must divide the number of GPUs: {} GPUs "
                                  "({} hosts × {}) cannot be split into domains of {}",
                                  gpus, hosts, gpus_per_host, domain_size));
        }
      } else {
        r.fail(ptr, fmt::format("expected \"host\" or a domain size (an integer >= 1), got {}",
                                describe(*domain)));
      }
    }
    domains = domain_per_host ? hosts : gpus / domain_size;
    up_params = r.link_params(*scale_up, kScaleUp, "bandwidth");
  }

  // scale_out
  bool rail_optimized = true;
  std::size_t leaves = 0;
  std::size_t rails = gpus_per_host;
  std::size_t spines = 0;
  double oversubscription = 1.0;
  LinkParams out_params;
  if (scale_out != nullptr) {
    r.require_object(*scale_out, kScaleOut,
                     {"nic_bandwidth", "latency", "rails", "spines", "oversubscription", "mtu",
                      "rail_optimized", "jitter", "loss"});
    if (const json* v = JsonReader::optional(*scale_out, "rail_optimized")) {
      rail_optimized = r.boolean(*v, kScaleOut + "/rail_optimized");
    }
    if (const json* v = JsonReader::optional(*scale_out, "rails")) {
      // Checked for type even when rail_optimized is false (then it is ignored).
      rails = static_cast<std::size_t>(r.integer(*v, kScaleOut + "/rails", 1, max_gpus));
      if (rail_optimized && rails > gpus_per_host) {
        r.fail(kScaleOut + "/rails",
               fmt::format("at most gpus_per_host ({}) rails: with {} rails, leaf{} and above "
                           "would have no GPUs",
                           gpus_per_host, rails, gpus_per_host));
      }
    }
    leaves = rail_optimized ? rails : hosts;
    spines = leaves > 1 ? 1 : 0;
    if (const json* v = JsonReader::optional(*scale_out, "spines")) {
      spines = static_cast<std::size_t>(
          r.integer(*v, kScaleOut + "/spines", 0, static_cast<std::int64_t>(kMaxNodes)));
    }
    if (const json* v = JsonReader::optional(*scale_out, "oversubscription")) {
      oversubscription = r.number(*v, kScaleOut + "/oversubscription", 1.0);
    }
    out_params = r.link_params(*scale_out, kScaleOut, "nic_bandwidth");
  }

  const std::size_t node_count = gpus + domains + leaves + spines;
  if (node_count > kMaxNodes) {
    r.fail(kCluster, fmt::format("expands to {} nodes ({} gpus, {} scale-up switches, {} leaves, "
                                 "{} spines); at most {} are supported",
                                 node_count, gpus, domains, leaves, spines, kMaxNodes));
  }
  const std::size_t link_count = (scale_up ? gpus : 0) + (scale_out ? gpus : 0) + leaves * spines;
  if (link_count > kMaxCompactLinks) {
    r.fail(kCluster, fmt::format("expands to {} links; at most {} are supported (fewer spines?)",
                                 link_count, kMaxCompactLinks));
  }

  // ---- generate
  topology.nodes.reserve(node_count);
  topology.links.reserve(link_count);
  for (std::size_t i = 0; i < gpus; ++i) {
    Node n = make_node(fmt::format("gpu{}", i), NodeKind::gpu, kCluster);
    n.host = static_cast<int>(i / gpus_per_host);
    n.local_rank = static_cast<int>(i % gpus_per_host);
    if (scale_up != nullptr) {
      n.domain = static_cast<int>(domain_per_host ? i / gpus_per_host : i / domain_size);
    }
    topology.nodes.push_back(std::move(n));
  }
  for (std::size_t d = 0; d < domains; ++d) {
    topology.nodes.push_back(make_node(fmt::format("nvsw{}", d), NodeKind::switch_, kScaleUp));
  }
  for (std::size_t l = 0; l < leaves; ++l) {
    topology.nodes.push_back(make_node(fmt::format("leaf{}", l), NodeKind::switch_, kScaleOut));
  }
  for (std::size_t s = 0; s < spines; ++s) {
    topology.nodes.push_back(make_node(fmt::format("spine{}", s), NodeKind::router, kScaleOut));
  }

  if (scale_up != nullptr) {
    for (std::size_t i = 0; i < gpus; ++i) {
      const Node& gpu = topology.nodes[i];
      topology.links.push_back(make_link(gpu.name, fmt::format("nvsw{}", gpu.domain),
                                         Tier::scale_up, up_params, kScaleUp));
    }
  }
  if (scale_out != nullptr) {
    std::vector<std::uint64_t> gpus_on_leaf(leaves, 0);
    for (std::size_t i = 0; i < gpus; ++i) {
      const std::size_t leaf = rail_optimized ? (i % gpus_per_host) % rails : i / gpus_per_host;
      ++gpus_on_leaf[leaf];
      topology.links.push_back(make_link(topology.nodes[i].name, fmt::format("leaf{}", leaf),
                                         Tier::scale_out, out_params, kScaleOut));
    }
    for (std::size_t l = 0; l < leaves; ++l) {
      LinkParams uplink = out_params;
      if (spines > 0 &&
          !uplink_bandwidth(gpus_on_leaf[l], out_params.bandwidth_bps, oversubscription, spines,
                            uplink.bandwidth_bps)) {
        r.fail(kScaleOut, fmt::format("the leaf{}–spine bandwidth ({} GPUs × nic_bandwidth / "
                                      "(oversubscription × spines)) does not fit in 64 bits",
                                      l, gpus_on_leaf[l]));
      }
      for (std::size_t s = 0; s < spines; ++s) {
        topology.links.push_back(make_link(fmt::format("leaf{}", l), fmt::format("spine{}", s),
                                           Tier::scale_out, uplink, kScaleOut));
      }
    }
  }
}

}  // namespace scalelab::model::detail
