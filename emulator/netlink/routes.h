#pragma once
// IPv4 unicast routes in the main table, single or ECMP multipath; and the kernel's own answer
// to "which way would a packet to X go" (RTM_GETROUTE), which sends nothing.
#include <optional>
#include <string>
#include <vector>

#include "emulator/netlink/route_socket.h"

namespace scalelab::nl {

struct RouteNexthop {
  std::string gateway;  // "198.19.0.1"
  int ifindex = 0;
};

// Replaces any route to the same destination, so it serves both bring-up and live rerouting.
void replace_route(RouteSocket& socket, const std::string& destination_cidr, const std::vector<RouteNexthop>& nexthops);
class RequestBatch;
void replace_route(RequestBatch& batch, const std::string& destination_cidr, const std::vector<RouteNexthop>& nexthops);  // queued (batch.h)
void delete_route(RouteSocket& socket, const std::string& destination_cidr);
// Silently drops traffic to the destination: how a partition looks from inside the fabric.
void add_blackhole_route(RouteSocket& socket, const std::string& destination_cidr);
void delete_blackhole_route(RouteSocket& socket, const std::string& destination_cidr);

struct RouteLookup {
  int oif = 0;              // output interface
  std::string gateway;      // empty when directly connected
  std::string type;         // "unicast", "local", …
};
// std::nullopt when the kernel answers "network unreachable" (no route at all).
std::optional<RouteLookup> lookup_route(int netns_fd, const std::string& destination);

struct RouteInfo {
  std::string destination;  // "198.19.1.0/24", "default"
  std::vector<RouteNexthop> nexthops;
};
std::vector<RouteInfo> list_ipv4_routes(RouteSocket& socket);  // main table

}  // namespace scalelab::nl
