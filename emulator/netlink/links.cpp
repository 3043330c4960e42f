#include "emulator/netlink/links.h"

#include <linux/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>

#include <functional>
#include <memory>

#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"

namespace scalelab::nl {
namespace {

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;

struct CacheDeleter {
  void operator()(nl_cache* c) const { nl_cache_free(c); }
};

void describe(rtnl_link* link, const VethEnd& end) {
  rtnl_link_set_name(link, end.ifname.c_str());
  if (end.ifindex > 0) rtnl_link_set_ifindex(link, end.ifindex);
  rtnl_link_set_mtu(link, end.mtu);
}

LinkInfo to_info(rtnl_link* l) {
  LinkInfo info;
  info.ifindex = rtnl_link_get_ifindex(l);
  info.ifname = rtnl_link_get_name(l) ? rtnl_link_get_name(l) : "";
  info.kind = rtnl_link_get_type(l) ? rtnl_link_get_type(l) : "";
  unsigned flags = rtnl_link_get_flags(l);
  info.admin_up = flags & IFF_UP;
  info.carrier = rtnl_link_get_carrier(l);
  info.mtu = rtnl_link_get_mtu(l);
  info.master = rtnl_link_get_master(l);
  info.rx_bytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
  info.tx_bytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
  info.rx_packets = rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS);
  info.tx_packets = rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS);
  info.tx_dropped = rtnl_link_get_stat(l, RTNL_LINK_TX_DROPPED);
  return info;
}

}  // namespace

namespace {

LinkPtr veth_request(const VethEnd& near_end, int far_netns_fd, const VethEnd& far_end) {
  LinkPtr link(rtnl_link_veth_alloc());
  if (!link) throw NetlinkError("allocate veth", 0, "out of memory");
  describe(link.get(), near_end);
  if (near_end.up) rtnl_link_set_flags(link.get(), IFF_UP);
  if (near_end.master_ifindex > 0) rtnl_link_set_master(link.get(), near_end.master_ifindex);
  rtnl_link* peer = rtnl_link_veth_get_peer(link.get());
  describe(peer, far_end);
  rtnl_link_set_ns_fd(peer, far_netns_fd);
  rtnl_link_put(peer);  // get_peer took a reference
  return link;
}

LinkPtr bridge_request(const std::string& ifname, int ifindex, std::uint32_t mtu) {
  LinkPtr link(rtnl_link_bridge_alloc());
  if (!link) throw NetlinkError("allocate bridge", 0, "out of memory");
  rtnl_link_set_name(link.get(), ifname.c_str());
  if (ifindex > 0) rtnl_link_set_ifindex(link.get(), ifindex);
  rtnl_link_set_mtu(link.get(), mtu);
  rtnl_link_set_flags(link.get(), IFF_UP);
  return link;
}

std::string veth_what(const VethEnd& near_end, const VethEnd& far_end) { return "create veth " + near_end.ifname + " <-> " + far_end.ifname; }

void queue_link(RequestBatch& batch, rtnl_link* link, int flags, std::string what) {
  nl_msg* msg = nullptr;
  check_nl(rtnl_link_build_add_request(link, flags, &msg), "build request: " + what);
  batch.add(msg, std::move(what));
}

}  // namespace

void create_veth(RouteSocket& near_socket, const VethEnd& near_end, int far_netns_fd, const VethEnd& far_end) {
  auto link = veth_request(near_end, far_netns_fd, far_end);
  check_nl(rtnl_link_add(near_socket.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL), veth_what(near_end, far_end));
}

void create_veth(RequestBatch& near_batch, const VethEnd& near_end, int far_netns_fd, const VethEnd& far_end) {
  auto link = veth_request(near_end, far_netns_fd, far_end);
  queue_link(near_batch, link.get(), NLM_F_CREATE | NLM_F_EXCL, veth_what(near_end, far_end));
}

void create_bridge(RouteSocket& socket, const std::string& ifname, int ifindex, std::uint32_t mtu) {
  auto link = bridge_request(ifname, ifindex, mtu);
  check_nl(rtnl_link_add(socket.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL), "create bridge " + ifname);
}

void create_bridge(RequestBatch& batch, const std::string& ifname, int ifindex, std::uint32_t mtu) {
  auto link = bridge_request(ifname, ifindex, mtu);
  queue_link(batch, link.get(), NLM_F_CREATE | NLM_F_EXCL, "create bridge " + ifname);
}

namespace {
// RTM_NEWLINK without NLM_F_CREATE on an existing ifindex modifies that link in one round trip.
void modify_link(RouteSocket& socket, int ifindex, const std::string& what, const std::function<void(rtnl_link*)>& apply) {
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(change.get(), ifindex);
  apply(change.get());
  check_nl(rtnl_link_add(socket.get(), change.get(), 0), what + " (ifindex " + std::to_string(ifindex) + ")");
}
}  // namespace

void set_link_up(RouteSocket& socket, int ifindex, bool up) {
  modify_link(socket, ifindex, up ? "set link up" : "set link down",
              [up](rtnl_link* l) { up ? rtnl_link_set_flags(l, IFF_UP) : rtnl_link_unset_flags(l, IFF_UP); });
}

void set_master(RouteSocket& socket, int ifindex, int master_ifindex) {
  modify_link(socket, ifindex, "enslave to bridge", [master_ifindex](rtnl_link* l) { rtnl_link_set_master(l, master_ifindex); });
}

void enslave_and_set_up(RouteSocket& socket, int ifindex, int master_ifindex) {
  modify_link(socket, ifindex, "enslave to bridge and set up", [master_ifindex](rtnl_link* l) {
    rtnl_link_set_master(l, master_ifindex);
    rtnl_link_set_flags(l, IFF_UP);
  });
}

void set_link_up(RequestBatch& batch, int ifindex, bool up) {
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(change.get(), ifindex);
  up ? rtnl_link_set_flags(change.get(), IFF_UP) : rtnl_link_unset_flags(change.get(), IFF_UP);
  queue_link(batch, change.get(), 0, std::string(up ? "set link up" : "set link down") + " (ifindex " + std::to_string(ifindex) + ")");
}

void enslave_and_set_up(RequestBatch& batch, int ifindex, int master_ifindex) {
  LinkPtr change(rtnl_link_alloc());
  rtnl_link_set_ifindex(change.get(), ifindex);
  rtnl_link_set_master(change.get(), master_ifindex);
  rtnl_link_set_flags(change.get(), IFF_UP);
  queue_link(batch, change.get(), 0, "enslave to bridge and set up (ifindex " + std::to_string(ifindex) + ")");
}

std::vector<LinkInfo> list_links(RouteSocket& socket) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_link_alloc_cache(socket.get(), AF_UNSPEC, &raw), "dump links");
  std::unique_ptr<nl_cache, CacheDeleter> cache(raw);
  std::vector<LinkInfo> links;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) links.push_back(to_info(reinterpret_cast<rtnl_link*>(o)));
  return links;
}

LinkInfo get_link(RouteSocket& socket, const std::string& ifname) {
  rtnl_link* raw = nullptr;
  check_nl(rtnl_link_get_kernel(socket.get(), 0, ifname.c_str(), &raw), "look up link " + ifname);
  LinkPtr link(raw);
  return to_info(link.get());
}

}  // namespace scalelab::nl
