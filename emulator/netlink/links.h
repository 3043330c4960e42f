#pragma once
// Links: veth pairs created straight into their two namespaces, bridges, admin state, MTU,
// bridge membership and counters.
#include <cstdint>
#include <string>
#include <vector>

#include "emulator/netlink/route_socket.h"

namespace scalelab::nl {

struct VethEnd {
  std::string ifname;
  int ifindex = 0;         // requested ifindex in its namespace (0 = kernel picks)
  std::uint32_t mtu = 1500;
  int master_ifindex = 0;  // bridge to enslave to at creation (only honoured for the near end)
  bool up = true;          // the near end comes up at creation (a root qdisc added to a link
                           // that is down costs the kernel no RCU grace period: see realize)
};

// Sent through `near_socket`: the near end appears in that socket's namespace, the far end
// directly in `far_netns_fd` — nothing ever passes through the host's namespace. The near end
// comes up at once; the far end stays down until set_link_up, because the kernel opens a veth
// peer before the pair is joined and would refuse (ENOTCONN).
void create_veth(RouteSocket& near_socket, const VethEnd& near_end, int far_netns_fd, const VethEnd& far_end);

void create_bridge(RouteSocket& socket, const std::string& ifname, int ifindex, std::uint32_t mtu);

void set_link_up(RouteSocket& socket, int ifindex, bool up);
void set_master(RouteSocket& socket, int ifindex, int master_ifindex);
void enslave_and_set_up(RouteSocket& socket, int ifindex, int master_ifindex);

// The same requests queued on a batch (batch.h) instead of sent one by one.
class RequestBatch;
void create_veth(RequestBatch& near_batch, const VethEnd& near_end, int far_netns_fd, const VethEnd& far_end);
void create_bridge(RequestBatch& batch, const std::string& ifname, int ifindex, std::uint32_t mtu);
void set_link_up(RequestBatch& batch, int ifindex, bool up);
void enslave_and_set_up(RequestBatch& batch, int ifindex, int master_ifindex);

struct LinkInfo {
  int ifindex = 0;
  std::string ifname;
  std::string kind;  // "veth", "bridge", "" for lo
  bool admin_up = false;
  bool carrier = false;
  std::uint32_t mtu = 0;
  int master = 0;
  std::uint64_t rx_bytes = 0, tx_bytes = 0, rx_packets = 0, tx_packets = 0, tx_dropped = 0;
};

std::vector<LinkInfo> list_links(RouteSocket& socket);
LinkInfo get_link(RouteSocket& socket, const std::string& ifname);  // throws when absent

}  // namespace scalelab::nl
