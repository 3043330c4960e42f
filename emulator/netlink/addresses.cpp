#include "emulator/netlink/addresses.h"

#include <netlink/addr.h>
#include <netlink/route/addr.h>

#include <memory>

#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"

namespace scalelab::nl {

namespace {

using AddrPtr = std::unique_ptr<rtnl_addr, void (*)(rtnl_addr*)>;

AddrPtr address_request(int ifindex, const std::string& cidr) {
  nl_addr* local = nullptr;
  check_nl(nl_addr_parse(cidr.c_str(), AF_INET, &local), "parse address " + cidr);
  std::unique_ptr<nl_addr, void (*)(nl_addr*)> local_owner(local, nl_addr_put);
  AddrPtr addr(rtnl_addr_alloc(), rtnl_addr_put);
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  check_nl(rtnl_addr_set_local(addr.get(), local), "set address " + cidr);
  return addr;
}

}  // namespace

void add_address(RouteSocket& socket, int ifindex, const std::string& cidr) {
  auto addr = address_request(ifindex, cidr);
  check_nl(rtnl_addr_add(socket.get(), addr.get(), NLM_F_CREATE | NLM_F_EXCL), "add address " + cidr);
}

void add_address(RequestBatch& batch, int ifindex, const std::string& cidr) {
  auto addr = address_request(ifindex, cidr);
  nl_msg* msg = nullptr;
  check_nl(rtnl_addr_build_add_request(addr.get(), NLM_F_CREATE | NLM_F_EXCL, &msg), "build request: add address " + cidr);
  batch.add(msg, "add address " + cidr);
}

std::vector<AddressInfo> list_ipv4_addresses(RouteSocket& socket) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_addr_alloc_cache(socket.get(), &raw), "dump addresses");
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
  std::vector<AddressInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* a = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_family(a) != AF_INET) continue;
    char buf[64];
    nl_addr2str(rtnl_addr_get_local(a), buf, sizeof buf);
    out.push_back({rtnl_addr_get_ifindex(a), buf});
  }
  return out;
}

}  // namespace scalelab::nl
