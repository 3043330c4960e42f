#include "emulator/netlink/routes.h"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/route/route.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"
#include "emulator/netlink/netns.h"

namespace scalelab::nl {
namespace {

using AddrPtr = std::unique_ptr<nl_addr, void (*)(nl_addr*)>;
using RoutePtr = std::unique_ptr<rtnl_route, void (*)(rtnl_route*)>;

AddrPtr parse(const std::string& text) {
  nl_addr* a = nullptr;
  check_nl(nl_addr_parse(text.c_str(), AF_INET, &a), "parse address " + text);
  return AddrPtr(a, nl_addr_put);
}

RoutePtr make_route(const std::string& destination) {
  RoutePtr route(rtnl_route_alloc(), rtnl_route_put);
  rtnl_route_set_family(route.get(), AF_INET);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_set_protocol(route.get(), RTPROT_STATIC);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  auto dst = parse(destination);
  check_nl(rtnl_route_set_dst(route.get(), dst.get()), "set route destination " + destination);
  return route;
}

}  // namespace

namespace {

RoutePtr route_request(const std::string& destination_cidr, const std::vector<RouteNexthop>& nexthops) {
  auto route = make_route(destination_cidr);
  for (const auto& hop : nexthops) {
    // Ours until the route takes it: a gateway that does not parse must not leak it.
    std::unique_ptr<rtnl_nexthop, void (*)(rtnl_nexthop*)> nh(rtnl_route_nh_alloc(), rtnl_route_nh_free);
    rtnl_route_nh_set_ifindex(nh.get(), hop.ifindex);
    auto gw = parse(hop.gateway);
    rtnl_route_nh_set_gateway(nh.get(), gw.get());
    rtnl_route_add_nexthop(route.get(), nh.release());  // the route owns it from here
  }
  return route;
}

}  // namespace

void replace_route(RouteSocket& socket, const std::string& destination_cidr, const std::vector<RouteNexthop>& nexthops) {
  auto route = route_request(destination_cidr, nexthops);
  check_nl(rtnl_route_add(socket.get(), route.get(), NLM_F_CREATE | NLM_F_REPLACE), "route " + destination_cidr);
}

void replace_route(RequestBatch& batch, const std::string& destination_cidr, const std::vector<RouteNexthop>& nexthops) {
  auto route = route_request(destination_cidr, nexthops);
  nl_msg* msg = nullptr;
  check_nl(rtnl_route_build_add_request(route.get(), NLM_F_CREATE | NLM_F_REPLACE, &msg), "build request: route " + destination_cidr);
  batch.add(msg, "route " + destination_cidr);
}

void delete_route(RouteSocket& socket, const std::string& destination_cidr) {
  auto route = make_route(destination_cidr);
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);  // match any scope
  check_nl(rtnl_route_delete(socket.get(), route.get(), 0), "delete route " + destination_cidr);
}

void add_blackhole_route(RouteSocket& socket, const std::string& destination_cidr) {
  auto route = make_route(destination_cidr);
  rtnl_route_set_type(route.get(), RTN_BLACKHOLE);
  check_nl(rtnl_route_add(socket.get(), route.get(), NLM_F_CREATE | NLM_F_REPLACE), "blackhole route " + destination_cidr);
}

void delete_blackhole_route(RouteSocket& socket, const std::string& destination_cidr) {
  auto route = make_route(destination_cidr);
  rtnl_route_set_type(route.get(), RTN_BLACKHOLE);
  rtnl_route_set_scope(route.get(), RT_SCOPE_NOWHERE);
  check_nl(rtnl_route_delete(socket.get(), route.get(), 0), "delete blackhole route " + destination_cidr);
}

std::optional<RouteLookup> lookup_route(int netns_fd, const std::string& destination) {
  // libnl has no helper for a single RTM_GETROUTE query, so this speaks rtnetlink directly.
  int fd;
  {
    ThreadNetnsGuard inside(netns_fd);
    fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  }
  check_sys(fd, "open rtnetlink socket");
  struct {
    nlmsghdr header;
    rtmsg body;
    char attributes[64];
  } request{};
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.header.nlmsg_seq = 1;
  request.body.rtm_family = AF_INET;
  request.body.rtm_dst_len = 32;
  auto* attr = reinterpret_cast<rtattr*>(request.attributes);
  attr->rta_type = RTA_DST;
  attr->rta_len = RTA_LENGTH(4);
  in_addr dst{};
  if (inet_pton(AF_INET, destination.c_str(), &dst) != 1) {
    close(fd);
    throw NetlinkError("look up route to " + destination, EINVAL, "not an IPv4 address");
  }
  std::memcpy(RTA_DATA(attr), &dst, 4);
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_ALIGN(attr->rta_len);

  char reply[8192];
  ssize_t sent = send(fd, &request, request.header.nlmsg_len, 0);
  ssize_t got = sent < 0 ? -1 : recv(fd, reply, sizeof reply, 0);
  int e = errno;
  close(fd);
  errno = e;
  check_sys(got < 0 ? -1 : 0, "look up route to " + destination);

  auto* header = reinterpret_cast<nlmsghdr*>(reply);
  if (header->nlmsg_type == NLMSG_ERROR) {
    int error = -reinterpret_cast<nlmsgerr*>(NLMSG_DATA(header))->error;
    if (error == ENETUNREACH || error == EHOSTUNREACH) return std::nullopt;
    throw NetlinkError("look up route to " + destination, error, std::strerror(error));
  }
  auto* body = reinterpret_cast<rtmsg*>(NLMSG_DATA(header));
  RouteLookup result;
  switch (body->rtm_type) {
    case RTN_UNICAST: result.type = "unicast"; break;
    case RTN_LOCAL: result.type = "local"; break;
    case RTN_BLACKHOLE: result.type = "blackhole"; break;
    case RTN_UNREACHABLE: result.type = "unreachable"; break;
    default: result.type = "other";
  }
  int len = RTM_PAYLOAD(header);
  for (auto* a = RTM_RTA(body); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_OIF) result.oif = *reinterpret_cast<int*>(RTA_DATA(a));
    if (a->rta_type == RTA_GATEWAY) {
      char buf[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, RTA_DATA(a), buf, sizeof buf);
      result.gateway = buf;
    }
  }
  return result;
}

std::vector<RouteInfo> list_ipv4_routes(RouteSocket& socket) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_route_alloc_cache(socket.get(), AF_INET, 0, &raw), "dump routes");
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
  std::vector<RouteInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* r = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(r) != RT_TABLE_MAIN) continue;
    RouteInfo info;
    char buf[64];
    nl_addr* dst = rtnl_route_get_dst(r);
    info.destination = nl_addr_get_prefixlen(dst) == 0 ? "default" : nl_addr2str(dst, buf, sizeof buf);
    for (int i = 0; i < rtnl_route_get_nnexthops(r); ++i) {
      rtnl_nexthop* nh = rtnl_route_nexthop_n(r, i);
      nl_addr* gw = rtnl_route_nh_get_gateway(nh);
      info.nexthops.push_back({gw ? nl_addr2str(gw, buf, sizeof buf) : "", rtnl_route_nh_get_ifindex(nh)});
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace scalelab::nl
