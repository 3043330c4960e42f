#include "emulator/netlink/qdiscs.h"

#include <linux/pkt_sched.h>
#include <netlink/route/class.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/errno.h>
#include <netlink/route/tc.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"

namespace scalelab::nl {
namespace {

constexpr std::uint32_t kRootHandle = TC_HANDLE(1, 0);
constexpr std::uint32_t kClassHandle = TC_HANDLE(1, 1);
constexpr std::uint32_t kNetemHandle = TC_HANDLE(0x10, 0);

using QdiscPtr = std::unique_ptr<rtnl_qdisc, void (*)(rtnl_qdisc*)>;
using ClassPtr = std::unique_ptr<rtnl_class, void (*)(rtnl_class*)>;

std::string on(int ifindex) { return " on ifindex " + std::to_string(ifindex); }

ClassPtr class_request(int ifindex, const HtbParams& p) {
  ClassPtr cls(rtnl_class_alloc(), rtnl_class_put);
  auto* tc = TC_CAST(cls.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, kRootHandle);
  rtnl_tc_set_handle(tc, kClassHandle);
  check_nl(rtnl_tc_set_kind(tc, "htb"), "htb class kind");
  rtnl_tc_set_mtu(tc, p.mtu + 14);
  const std::uint64_t bytes_per_second = p.rate_bps / 8;
  check_nl(rtnl_htb_set_rate64(cls.get(), bytes_per_second), "htb rate");
  check_nl(rtnl_htb_set_ceil64(cls.get(), bytes_per_second), "htb ceil");
  check_nl(rtnl_htb_set_rbuffer(cls.get(), p.burst_bytes), "htb burst");
  check_nl(rtnl_htb_set_cbuffer(cls.get(), p.burst_bytes), "htb cburst");
  check_nl(rtnl_htb_set_quantum(cls.get(), p.quantum_bytes), "htb quantum");
  return cls;
}

void add_class(RouteSocket& socket, int ifindex, const HtbParams& p, int flags) {
  auto cls = class_request(ifindex, p);
  check_nl(rtnl_class_add(socket.get(), cls.get(), flags), "htb class 1:1" + on(ifindex));
}

QdiscPtr htb_root_request(int ifindex) {
  QdiscPtr q(rtnl_qdisc_alloc(), rtnl_qdisc_put);
  auto* tc = TC_CAST(q.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, TC_H_ROOT);
  rtnl_tc_set_handle(tc, kRootHandle);
  check_nl(rtnl_tc_set_kind(tc, "htb"), "htb qdisc kind");
  check_nl(rtnl_htb_set_defcls(q.get(), kClassHandle), "htb default class");
  return q;
}

QdiscPtr netem_request(int ifindex, const NetemParams& params) {
  QdiscPtr q(rtnl_qdisc_alloc(), rtnl_qdisc_put);
  auto* tc = TC_CAST(q.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, kClassHandle);
  rtnl_tc_set_handle(tc, kNetemHandle);
  // The kind must be set before any rtnl_netem_set_* call, or libnl aborts.
  check_nl(rtnl_tc_set_kind(tc, "netem"), "netem qdisc kind");
  auto micros = [](std::uint64_t ns) { return static_cast<int>(std::min<std::uint64_t>(ns / 1000, std::numeric_limits<int>::max())); };
  rtnl_netem_set_delay(q.get(), micros(params.delay_ns));
  rtnl_netem_set_jitter(q.get(), micros(params.jitter_ns));
  // The kernel reads loss as a 32-bit probability where 0xffffffff is 100%.
  auto loss = static_cast<std::uint32_t>(std::llround(std::clamp(params.loss, 0.0, 1.0) * 4294967295.0));
  rtnl_netem_set_loss(q.get(), static_cast<int>(loss));
  rtnl_netem_set_limit(q.get(), static_cast<int>(params.limit_packets));
  return q;
}

}  // namespace

void set_htb(RouteSocket& socket, int ifindex, const HtbParams& params) {
  auto q = htb_root_request(ifindex);
  int err = rtnl_qdisc_add(socket.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err == -NLE_EXIST || err == -NLE_INVAL) {
    // htb cannot "change" itself in place (the kernel refuses with EINVAL): replacing means
    // deleting the old root, which takes its classes and netem child with it.
    rtnl_qdisc_delete(socket.get(), q.get());
    err = rtnl_qdisc_add(socket.get(), q.get(), NLM_F_CREATE | NLM_F_EXCL);
  }
  check_nl(err, "htb qdisc" + on(ifindex));
  add_class(socket, ifindex, params, NLM_F_CREATE | NLM_F_EXCL);
}

void add_htb(RequestBatch& batch, int ifindex, const HtbParams& params) {
  auto q = htb_root_request(ifindex);
  nl_msg* msg = nullptr;
  check_nl(rtnl_qdisc_build_add_request(q.get(), NLM_F_CREATE | NLM_F_EXCL, &msg), "build request: htb qdisc" + on(ifindex));
  batch.add(msg, "htb qdisc" + on(ifindex));
  auto cls = class_request(ifindex, params);
  check_nl(rtnl_class_build_add_request(cls.get(), NLM_F_CREATE | NLM_F_EXCL, &msg), "build request: htb class 1:1" + on(ifindex));
  batch.add(msg, "htb class 1:1" + on(ifindex));
}

void change_htb_rate(RouteSocket& socket, int ifindex, const HtbParams& params) {
  add_class(socket, ifindex, params, NLM_F_REPLACE);
}

void set_netem(RouteSocket& socket, int ifindex, const NetemParams& params) {
  auto q = netem_request(ifindex, params);
  check_nl(rtnl_qdisc_add(socket.get(), q.get(), NLM_F_CREATE | NLM_F_REPLACE), "netem qdisc" + on(ifindex));
}

void set_netem(RequestBatch& batch, int ifindex, const NetemParams& params) {
  auto q = netem_request(ifindex, params);
  nl_msg* msg = nullptr;
  check_nl(rtnl_qdisc_build_add_request(q.get(), NLM_F_CREATE | NLM_F_REPLACE, &msg), "build request: netem qdisc" + on(ifindex));
  batch.add(msg, "netem qdisc" + on(ifindex));
}

void delete_netem(RouteSocket& socket, int ifindex) {
  QdiscPtr q(rtnl_qdisc_alloc(), rtnl_qdisc_put);
  auto* tc = TC_CAST(q.get());
  rtnl_tc_set_ifindex(tc, ifindex);
  rtnl_tc_set_parent(tc, kClassHandle);
  rtnl_tc_set_handle(tc, kNetemHandle);
  check_nl(rtnl_qdisc_delete(socket.get(), q.get()), "delete netem qdisc" + on(ifindex));
}

std::vector<QdiscInfo> list_qdiscs(RouteSocket& socket, int ifindex) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_qdisc_alloc_cache(socket.get(), &raw), "dump qdiscs");
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
  std::vector<QdiscInfo> out;
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* tc = TC_CAST(o);
    if (rtnl_tc_get_ifindex(tc) != ifindex) continue;
    out.push_back({rtnl_tc_get_kind(tc) ? rtnl_tc_get_kind(tc) : "", rtnl_tc_get_handle(tc), rtnl_tc_get_parent(tc)});
  }
  return out;
}

std::optional<std::uint64_t> htb_class_rate(RouteSocket& socket, int ifindex) {
  nl_cache* raw = nullptr;
  check_nl(rtnl_class_alloc_cache(socket.get(), ifindex, &raw), "dump classes" + on(ifindex));
  std::unique_ptr<nl_cache, void (*)(nl_cache*)> cache(raw, nl_cache_free);
  for (nl_object* o = nl_cache_get_first(cache.get()); o; o = nl_cache_get_next(o)) {
    auto* cls = reinterpret_cast<rtnl_class*>(o);
    const char* kind = rtnl_tc_get_kind(TC_CAST(o));
    if (rtnl_tc_get_handle(TC_CAST(o)) != kClassHandle || !kind || std::string(kind) != "htb") continue;
    std::uint64_t bytes_per_second = 0;
    if (rtnl_htb_get_rate64(cls, &bytes_per_second) < 0) return std::nullopt;
    return bytes_per_second * 8;
  }
  return std::nullopt;
}

}  // namespace scalelab::nl
