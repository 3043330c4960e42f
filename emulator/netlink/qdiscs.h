#pragma once
// Egress shaping of one interface: htb root (1:) with one class (1:1) for the rate, and a netem
// child (10:) under it for delay/jitter/loss where the kernel has sch_netem.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "emulator/netlink/route_socket.h"

namespace scalelab::nl {

struct HtbParams {
  std::uint64_t rate_bps = 0;
  std::uint32_t burst_bytes = 0;
  std::uint32_t quantum_bytes = 0;
  std::uint32_t mtu = 1500;
};

struct NetemParams {
  std::uint64_t delay_ns = 0, jitter_ns = 0;
  double loss = 0.0;  // fraction
  std::uint32_t limit_packets = 1000;
};

// Creates (or replaces) the htb root and its class.
void set_htb(RouteSocket& socket, int ifindex, const HtbParams& params);
// Changes only the class rate/burst of an existing htb root: traffic keeps flowing.
void change_htb_rate(RouteSocket& socket, int ifindex, const HtbParams& params);
// Creates or replaces the netem child of class 1:1. Throws NetlinkError when the kernel lacks netem.
void set_netem(RouteSocket& socket, int ifindex, const NetemParams& params);
void delete_netem(RouteSocket& socket, int ifindex);

// Queued on a batch (batch.h), for an interface that has no qdisc of its own yet (a new one):
// the htb root and its class, and the netem child.
class RequestBatch;
void add_htb(RequestBatch& batch, int ifindex, const HtbParams& params);
void set_netem(RequestBatch& batch, int ifindex, const NetemParams& params);

struct QdiscInfo {
  std::string kind;
  std::uint32_t handle = 0, parent = 0;
};
std::vector<QdiscInfo> list_qdiscs(RouteSocket& socket, int ifindex);

// The rate of the interface's htb class 1:1 in bit/s, as the kernel holds it (after any
// degrade); std::nullopt when the interface has no such class.
std::optional<std::uint64_t> htb_class_rate(RouteSocket& socket, int ifindex);

}  // namespace scalelab::nl
