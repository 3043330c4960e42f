#include "emulator/netlink/vxlan.h"

#include <netlink/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <sys/socket.h>

#include <memory>

#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"

namespace scalelab::nl {
namespace {

struct LinkDeleter {
  void operator()(rtnl_link* l) const { rtnl_link_put(l); }
};
struct AddrDeleter {
  void operator()(nl_addr* a) const { nl_addr_put(a); }
};
using LinkPtr = std::unique_ptr<rtnl_link, LinkDeleter>;
using AddrPtr = std::unique_ptr<nl_addr, AddrDeleter>;

AddrPtr ipv4(const std::string& text, const std::string& what) {
  nl_addr* raw = nullptr;
  check_nl(nl_addr_parse(text.c_str(), AF_INET, &raw), what + ": underlay address " + text);
  return AddrPtr(raw);
}

std::string describe(const VxlanEnd& end) {
  return "create vxlan " + end.ifname + " (vni " + std::to_string(end.vni) + ", " + end.local + " → " + end.remote + ")";
}

LinkPtr vxlan_request(const VxlanEnd& end, int node_netns_fd) {
  const auto what = describe(end);
  LinkPtr link(rtnl_link_vxlan_alloc());
  if (!link) throw NetlinkError("allocate vxlan", 0, "out of memory");
  rtnl_link_set_name(link.get(), end.ifname.c_str());
  if (end.ifindex > 0) rtnl_link_set_ifindex(link.get(), end.ifindex);
  rtnl_link_set_mtu(link.get(), end.mtu);
  rtnl_link_set_ns_fd(link.get(), node_netns_fd);
  check_nl(rtnl_link_vxlan_set_id(link.get(), end.vni), what);
  auto local = ipv4(end.local, what), remote = ipv4(end.remote, what);
  // A unicast "group" is the one remote end: a point-to-point link, no flooding, no learning.
  check_nl(rtnl_link_vxlan_set_group(link.get(), remote.get()), what);
  check_nl(rtnl_link_vxlan_set_local(link.get(), local.get()), what);
  check_nl(rtnl_link_vxlan_set_learning(link.get(), 0), what);
  check_nl(rtnl_link_vxlan_set_port(link.get(), end.port), what);
  if (end.underlay_ifindex > 0) check_nl(rtnl_link_vxlan_set_link(link.get(), static_cast<std::uint32_t>(end.underlay_ifindex)), what);
  return link;
}

}  // namespace

void create_vxlan(RouteSocket& underlay_socket, const VxlanEnd& end, int node_netns_fd) {
  auto link = vxlan_request(end, node_netns_fd);
  check_nl(rtnl_link_add(underlay_socket.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL), describe(end));
}

void create_vxlan(RequestBatch& underlay_batch, const VxlanEnd& end, int node_netns_fd) {
  auto link = vxlan_request(end, node_netns_fd);
  nl_msg* msg = nullptr;
  check_nl(rtnl_link_build_add_request(link.get(), NLM_F_CREATE | NLM_F_EXCL, &msg), "build request: " + describe(end));
  underlay_batch.add(msg, describe(end));
}

}  // namespace scalelab::nl
