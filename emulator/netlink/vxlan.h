#pragma once
// A cross-machine link's end (issue 14): a kernel VXLAN device whose UDP socket lives in the
// machine's underlay namespace (the namespace of the socket the request goes through) while
// the device itself is created straight into the node's namespace, so to the rest of the plan
// it is one more point-to-point interface, shaped and addressed like a veth end.
#include <cstdint>
#include <string>

#include "emulator/netlink/route_socket.h"

namespace scalelab::nl {

// VXLAN over UDP/IPv4 adds 50 bytes to every frame: the underlay's MTU must exceed the link's by that.
inline constexpr std::uint32_t kVxlanOverhead = 50;
inline constexpr std::uint16_t kVxlanPort = 4789;  // IANA

struct VxlanEnd {
  std::string ifname;
  int ifindex = 0;            // requested ifindex in the node's namespace (0 = kernel picks)
  std::uint32_t mtu = 1500;
  std::uint32_t vni = 0;      // one per link, the same at both ends
  std::string local, remote;  // underlay IPv4 addresses of this machine and the peer's
  int underlay_ifindex = 0;   // the underlay device in the socket's namespace (0: any)
  std::uint16_t port = kVxlanPort;
};

// Sent through `underlay_socket`; the device appears down in `node_netns_fd`.
void create_vxlan(RouteSocket& underlay_socket, const VxlanEnd& end, int node_netns_fd);

class RequestBatch;
void create_vxlan(RequestBatch& underlay_batch, const VxlanEnd& end, int node_netns_fd);

}  // namespace scalelab::nl
