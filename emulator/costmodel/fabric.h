#pragma once
// Internal to emulator/costmodel: the plan's links as directed, shaped edges; the path (with its
// ECMP split) a message between two ranks takes; and the per-message rate of a set of messages
// sent at the same time.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "emulator/costmodel/costmodel.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel::detail {

// Unit systems: index 0 = real cluster, 1 = emulated.
inline constexpr int kReal = 0, kEmulated = 1;

struct DirectedLink {
  int link = -1;               // index into Topology::links
  int from = -1, to = -1;      // node indexes
  model::Tier tier = model::Tier::scale_out;
  double bps[2] = {0, 0};      // rate: real (as the file states), emulated (the htb rate of the egress)
  double latency_s[2] = {0, 0};  // one way: real, emulated (the netem delay of the egress)
  std::uint32_t mtu = 1500;
  std::string role;            // "nvlink", "nic", "uplink", "downlink", "fabric", "direct"
};

struct Route {
  model::Tier tier = model::Tier::scale_out;
  std::vector<std::pair<int, double>> links;  // directed link id, fraction of the message on it
  int hops = 0;
  double latency_s[2] = {0, 0};  // the slowest of its equal-cost paths
  std::uint32_t mtu = 0;         // the smallest MTU on the way
};

class Fabric {
 public:
  Fabric(const plan::Plan& plan, Ecmp ecmp);

  int nranks() const { return static_cast<int>(rank_node_.size()); }
  const std::vector<int>& domains() const { return domains_; }       // by rank
  const std::string& rank_name(int rank) const;                      // "gpu3"
  const std::string& node_name(int node) const;
  const model::Topology& topology() const { return topology_; }
  const DirectedLink& link(int id) const { return links_[static_cast<std::size_t>(id)]; }
  std::size_t link_count() const { return links_.size(); }

  // The route a message from rank a to rank b takes (a != b). Same scale-up domain → scale_up
  // links; otherwise scale_out (the agents' rule). Throws std::runtime_error without a path.
  Route route(int a, int b) const;

 private:
  // The part of a route between the first and the last switch/router: depends only on those two
  // nodes and the tier, so it is computed once per pair of switches (a few on a leaf–spine fabric).
  struct Inner {
    std::vector<std::pair<int, double>> links;
    int hops = 0;
    double latency_s[2] = {0, 0};
    std::uint32_t mtu = 0;
  };
  const Inner& inner(int x, int y, model::Tier tier) const;
  int first_link(int node, model::Tier tier) const;  // directed id leaving `node`, -1 if none

  model::Topology topology_;
  Ecmp ecmp_;
  std::vector<int> rank_node_;
  std::vector<int> domains_;
  std::vector<DirectedLink> links_;            // 2 per topology link: 2l = a→b, 2l+1 = b→a
  std::vector<std::vector<int>> out_;          // node → directed links leaving it, in link order
  std::vector<int> first_up_, first_out_;      // per rank: first scale_up / scale_out link, -1 if none
  mutable std::unordered_map<std::uint64_t, Inner> inner_cache_;
};

struct Message {
  int src = 0, dst = 0;
};

// What a set of concurrent messages gets: each link's capacity shared in proportion to the
// (transport-weighted) share of every message on it; each message runs at the rate of its most
// loaded link. Rates are payload bytes/s.
struct MessageCosts {
  std::vector<double> alpha_s;     // per message: path latency
  std::vector<double> rate_Bps;    // per message: payload rate
  std::vector<int> hops;
  int bottleneck_message = -1;     // the slowest
  Bottleneck bottleneck;
};
MessageCosts evaluate(const Fabric& fabric, const std::vector<Message>& messages, Transport transport, int units);

}  // namespace scalelab::costmodel::detail
