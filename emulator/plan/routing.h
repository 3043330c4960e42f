#pragma once
// Static routes for every L3 node: shortest paths through forwarders (routers and L3 switches),
// all equal-cost next hops kept, so multi-spine fabrics get ECMP multipath routes.
#include <cstdint>
#include <string>
#include <vector>

#include "emulator/plan/ipv4.h"
#include "emulator/plan/plan.h"

namespace scalelab::plan {

struct L3Attachment {
  std::size_t segment = 0;
  std::uint32_t address = 0;
  std::string ifname;
  int ifindex = 0;
};

struct L3Node {
  bool forwarder = false;  // forwards traffic for others (gpus never do)
  std::vector<L3Attachment> attachments;
};

// routes[i] for nodes[i]. Only segments flagged in `destinations` get routes (the cluster never
// needs to reach an infrastructure link's addresses from afar).
std::vector<std::vector<Route>> compute_routes(const std::vector<L3Node>& nodes, const std::vector<Subnet>& subnets,
                                               const std::vector<bool>& destinations);

}  // namespace scalelab::plan
