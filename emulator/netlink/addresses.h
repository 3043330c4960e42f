#pragma once
#include <string>
#include <vector>

#include "emulator/netlink/route_socket.h"

namespace scalelab::nl {

// Adds "198.19.0.2/24" to an interface.
void add_address(RouteSocket& socket, int ifindex, const std::string& cidr);
class RequestBatch;
void add_address(RequestBatch& batch, int ifindex, const std::string& cidr);  // queued (batch.h)

struct AddressInfo {
  int ifindex = 0;
  std::string cidr;
};
std::vector<AddressInfo> list_ipv4_addresses(RouteSocket& socket);

}  // namespace scalelab::nl
