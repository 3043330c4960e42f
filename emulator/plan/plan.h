#pragma once
// The Plan: every kernel object a topology turns into, fully resolved (names, ifindexes,
// addresses, routes, qdisc parameters after time dilation). Pure data: computing it touches
// nothing, so `scalelab plan` can print it and tests can check it without root.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulator/model/topology.h"

namespace scalelab::plan {

using model::NodeKind;
using model::Tier;

// Egress shaping of one interface, already dilated (emulated units).
struct Shaping {
  std::uint64_t rate_bps = 0;
  std::uint32_t burst_bytes = 0;    // htb buffer: enough for ~1 ms at rate, >= 4 MTU
  std::uint32_t quantum_bytes = 0;  // htb DRR quantum: rate/10 clamped to [MTU+14, 200000]
  std::uint64_t delay_ns = 0;       // netem; 0 with jitter and loss 0 → no netem child
  std::uint64_t jitter_ns = 0;
  double loss = 0.0;                // fraction
  std::uint32_t netem_limit_packets = 0;  // >= 2 × bandwidth-delay product in packets

  bool needs_netem() const { return delay_ns > 0 || jitter_ns > 0 || loss > 0.0; }
};

struct Interface {
  std::string ifname;             // "nvl0", "nic0" on gpus; the peer's node name on switches/routers
  int ifindex = 0;                // fixed per namespace, so later steps need no lookups
  int link = -1;                  // index into Topology::links / Plan::links
  std::string peer_node, peer_ifname;
  Tier tier = Tier::scale_out;
  std::uint32_t mtu = 1500;
  bool bridge_port = false;       // enslaved to the node's br0
  std::string address;            // "198.19.0.2/24" when L3, empty for bridge ports
  Shaping egress;
};

struct Nexthop {
  std::string gateway;            // "198.19.0.1"
  std::string ifname;
  int ifindex = 0;
};

struct Route {
  std::string destination;        // "198.19.1.0/24"
  std::vector<Nexthop> nexthops;  // > 1 → ECMP multipath
};

struct Namespace {
  std::string node;               // "gpu3"
  std::string netns;              // "sl-h100x2-gpu3"
  NodeKind kind = NodeKind::gpu;
  bool forwarding = false;        // routers and switches with routed ports
  bool has_bridge = false;        // "br0", ifindex kBridgeIfindex
  std::string bridge_address;     // SVI "198.19.0.1/24" of an L3 switch, else empty
  std::uint32_t bridge_mtu = 1500;
  std::vector<Interface> interfaces;
  std::vector<Route> routes;
  // gpus only
  int rank = -1, host = -1, local_rank = -1, domain = -1;
};

inline constexpr int kBridgeIfindex = 2;  // interfaces start at 3 where a bridge exists

// One veth pair: end A is created by the request sent in A's namespace, end B lands in B's.
struct VethPair {
  int link = -1;
  std::size_t a_ns = 0, b_ns = 0;       // indexes into Plan::namespaces
  std::size_t a_if = 0, b_if = 0;       // indexes into that namespace's interfaces
};

// An L2 broadcast domain with its subnet.
struct Segment {
  std::string subnet;             // "198.19.0.0/24"
  Tier tier = Tier::scale_out;
  bool has_gpus = false;
  std::vector<std::string> members;  // "gpu3:nic0", "leaf0:br0"
};

struct TierSummary {
  std::uint64_t bandwidth_bps = 0, latency_ns = 0;                  // real, as the file states
  std::uint64_t emulated_bandwidth_bps = 0, emulated_latency_ns = 0; // after dilation
  bool present = false;
};

struct Plan {
  std::string cluster;
  std::string source;
  double dilation = 1.0;
  std::vector<Namespace> namespaces;  // gpus first, in rank order
  std::vector<VethPair> veths;
  std::vector<Segment> segments;
  TierSummary scale_up, scale_out;
  model::Topology topology;  // what it was built from: a live cluster rebuilds its plan from it

  std::size_t gpu_count() const;
  const Namespace* find(const std::string& node) const;
  bool needs_netem() const;
};

// Each GPU's scale-up domain in rank order (< 0: none), as job::make_layout takes them.
std::vector<int> gpu_domains(const Plan& plan);

// "sl-<cluster>-<node>": the name under /run/netns of a node's namespace.
std::string netns_name(const std::string& cluster, const std::string& node);

// Deterministic: the same topology always gives the same plan.
// `dilation` overrides the topology's own (used after `auto` has been resolved); 0 = keep.
Plan build_plan(const model::Topology& topology, double dilation = 0);

}  // namespace scalelab::plan
