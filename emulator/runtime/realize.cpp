#include "emulator/locations/locations.h"
#include "emulator/runtime/realize.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <unistd.h>

#include "emulator/model/topology_json.h"
#include "emulator/model/units.h"
#include "emulator/netlink/addresses.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/rdma_link.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"
#include "emulator/netlink/rps.h"
#include "emulator/plan/hosts_file.h"
#include "emulator/plan/neighbours.h"
#include "emulator/plan/plan_json.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/neighbour_limits.h"
#include "emulator/runtime/parallel.h"

namespace scalelab::runtime {
namespace {

constexpr int kLoopbackIfindex = 1;

std::string now_iso8601() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

struct LiveNamespace {
  std::optional<nl::NamedNetns> netns;
  std::optional<nl::RouteSocket> socket;
};

// The end whose request creates the veth: a bridge port can then be enslaved in the same
// message, saving one round trip per port.
bool a_is_near(const plan::Plan& plan, const plan::VethPair& v) {
  bool a_bridged = plan.namespaces[v.a_ns].interfaces[v.a_if].bridge_port;
  bool b_bridged = plan.namespaces[v.b_ns].interfaces[v.b_if].bridge_port;
  return a_bridged || !b_bridged;
}

class Realizer {
 public:
  Realizer(const plan::Plan& plan, const RealizeOptions& options, ClusterDir& dir)
      : plan_(plan), options_(options), dir_(dir), live_(plan.namespaces.size()) {}

  void create_namespaces() {
    parallel_for(plan_.namespaces.size(), options_.workers, [&](std::size_t i) {
      const auto& ns = plan_.namespaces[i];
      dir_.journal_netns(ns.netns);
      auto& live = live_[i];
      live.netns.emplace(nl::NamedNetns::create(ns.netns));
      int fd = live.netns->fd();
      // No IPv6: no link-local chatter, no router solicitations, nothing but the plan's traffic.
      nl::write_sysctl(fd, "net/ipv6/conf/all/disable_ipv6", "1");
      nl::write_sysctl(fd, "net/ipv6/conf/default/disable_ipv6", "1");
      if (ns.forwarding) nl::write_sysctl(fd, "net/ipv4/ip_forward", "1");
      // The topology's ECMP hash seed, so each flow takes the same equal-cost next hop on every
      // bring-up (drills that lose a spine depend on it); Linux < 6.11 has no such sysctl.
      if (plan_.topology.ecmp_seed && ecmp_seed_supported_)
        nl::write_sysctl(fd, "net/ipv4/fib_multipath_hash_seed", std::to_string(plan_.topology.ecmp_seed));
      // Before any interface exists, so every veth and bridge keeps each flow in order (rps.h).
      if (!rps_mask_.empty()) nl::set_rps_default_mask(fd, rps_mask_);
      live.socket.emplace(fd);
      nl::set_link_up(*live.socket, kLoopbackIfindex, true);
      if (ns.has_bridge) nl::create_bridge(*live.socket, "br0", plan::kBridgeIfindex, ns.bridge_mtu);
    });
  }

  void create_veths() {
    std::vector<std::vector<std::size_t>> by_near(plan_.namespaces.size());
    for (std::size_t v = 0; v < plan_.veths.size(); ++v) {
      const auto& pair = plan_.veths[v];
      by_near[a_is_near(plan_, pair) ? pair.a_ns : pair.b_ns].push_back(v);
    }
    parallel_for(plan_.namespaces.size(), options_.workers, [&](std::size_t i) {
      for (std::size_t v : by_near[i]) {
        const auto& pair = plan_.veths[v];
        bool a_near = a_is_near(plan_, pair);
        std::size_t near_ns = a_near ? pair.a_ns : pair.b_ns, far_ns = a_near ? pair.b_ns : pair.a_ns;
        const auto& near_if = plan_.namespaces[near_ns].interfaces[a_near ? pair.a_if : pair.b_if];
        const auto& far_if = plan_.namespaces[far_ns].interfaces[a_near ? pair.b_if : pair.a_if];
        nl::create_veth(*live_[near_ns].socket,
                        {near_if.ifname, near_if.ifindex, near_if.mtu, near_if.bridge_port ? plan::kBridgeIfindex : 0},
                        live_[far_ns].netns->fd(), {far_if.ifname, far_if.ifindex, far_if.mtu, 0});
      }
    });
    // Far ends are still down, and those that are bridge ports not yet enslaved.
    far_ends_.resize(plan_.namespaces.size());
    for (const auto& pair : plan_.veths) {
      bool a_near = a_is_near(plan_, pair);
      std::size_t far_ns = a_near ? pair.b_ns : pair.a_ns;
      far_ends_[far_ns].push_back(a_near ? pair.b_if : pair.a_if);
    }
  }

  void configure() {
    parallel_for(plan_.namespaces.size(), options_.workers, [&](std::size_t i) {
      const auto& ns = plan_.namespaces[i];
      auto& sock = *live_[i].socket;
      for (std::size_t f : far_ends_[i]) {
        const auto& iface = ns.interfaces[f];
        if (iface.bridge_port)
          nl::enslave_and_set_up(sock, iface.ifindex, plan::kBridgeIfindex);
        else
          nl::set_link_up(sock, iface.ifindex, true);
      }
      std::size_t addresses = 0, qdiscs = 0, routes = 0;
      if (!ns.bridge_address.empty()) {
        nl::add_address(sock, plan::kBridgeIfindex, ns.bridge_address);
        addresses++;
      }
      for (const auto& iface : ns.interfaces) {
        if (!iface.address.empty()) {
          nl::add_address(sock, iface.ifindex, iface.address);
          addresses++;
        }
        nl::set_htb(sock, iface.ifindex, {iface.egress.rate_bps, iface.egress.burst_bytes, iface.egress.quantum_bytes, iface.mtu});
        qdiscs++;
        if (iface.egress.needs_netem() && netem_) {
          nl::set_netem(sock, iface.ifindex, {iface.egress.delay_ns, iface.egress.jitter_ns, iface.egress.loss, iface.egress.netem_limit_packets});
          qdiscs++;
        }
      }
      for (const auto& route : ns.routes) {
        std::vector<nl::RouteNexthop> hops;
        for (const auto& h : route.nexthops) hops.push_back({h.gateway, h.ifindex});
        nl::replace_route(sock, route.destination, hops);
        routes++;
      }
      std::lock_guard lock(counts_mutex_);
      report_.addresses += addresses, report_.qdiscs += qdiscs, report_.routes += routes;
    });
  }

  // One rxe device per GPU interface, named uniquely across the machine because rxe devices
  // are visible from every namespace (`rdma system` netns mode shared).
  void create_rdma_devices() {
    parallel_for(plan_.namespaces.size(), options_.workers, [&](std::size_t i) {
      const auto& ns = plan_.namespaces[i];
      if (ns.kind != model::NodeKind::gpu) return;
      for (const auto& iface : ns.interfaces) {
        if (iface.address.empty()) continue;
        nl::create_rxe(live_[i].netns->fd(), nl::rxe_device_name(plan_.cluster, ns.node, iface.ifname), iface.ifname);
        std::lock_guard lock(counts_mutex_);
        report_.rdma_devices++;
      }
    });
  }

  void set_netem_available(bool available) { netem_ = available; }
  void set_rps_mask(std::string mask) { rps_mask_ = std::move(mask); }
  void set_ecmp_seed_supported(bool supported) { ecmp_seed_supported_ = supported; }
  // Unwinds a failed bring-up: closing a created namespace's handle removes it.
  void remove_all() {
    for (auto& l : live_) l.socket.reset(), l.netns.reset();
  }
  void keep_all() {
    for (auto& l : live_)
      if (l.netns) l.netns->keep();
  }
  RealizeReport& report() { return report_; }

 private:
  const plan::Plan& plan_;
  const RealizeOptions& options_;
  ClusterDir& dir_;
  std::vector<LiveNamespace> live_;
  std::vector<std::vector<std::size_t>> far_ends_;  // per namespace: interface indexes
  bool netem_ = false;
  std::string rps_mask_;  // empty: the kernel cannot steer per namespace
  bool ecmp_seed_supported_ = false;
  std::mutex counts_mutex_;
  RealizeReport report_;
};

std::string describe_missing_netem(const plan::Plan& plan) {
  std::string tiers;
  for (auto [name, t] : {std::pair{"scale_up", &plan.scale_up}, std::pair{"scale_out", &plan.scale_out}})
    if (t->present && t->emulated_latency_ns > 0)
      tiers += std::string(tiers.empty() ? "" : ", ") + name + " " + model::format_duration(t->emulated_latency_ns);
  return "this kernel has no sch_netem: link latency/jitter/loss are NOT emulated (" + (tiers.empty() ? std::string("jitter/loss") : tiers) +
         " per hop would be), only rates are. Run under `scalelab vm` or a kernel with CONFIG_NET_SCH_NETEM for them.";
}

// The cluster file with each GPU interface's rxe device, so agents pick the right one among
// all the devices every namespace can see.
nlohmann::json cluster_file_with_rdma(const plan::Plan& plan, bool rxe) {
  auto file = plan::cluster_file_json(plan);
  for (auto& rank : file["ranks"])
    for (const char* tier : {"scale_up", "scale_out"})
      if (rank[tier].is_object())
        rank[tier]["rdma_device"] = rxe ? nlohmann::json(nl::rxe_device_name(plan.cluster, rank["node"], rank[tier]["ifname"])) : nlohmann::json(nullptr);
  return file;
}

}  // namespace

RealizeReport realize(const plan::Plan& plan, const RealizeOptions& options) {
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> warnings;
  auto caps = nl::probe_kernel_capabilities();
  bool netem = caps.has("netem");
  if (plan.needs_netem() && !netem) {
    if (options.require_netem) throw std::runtime_error(describe_missing_netem(plan) + " (--require-netem was given)");
    warnings.push_back(describe_missing_netem(plan));
  }
  bool rxe = caps.has("rxe-in-netns") && options.rxe != RealizeOptions::Rxe::off;
  if (options.rxe == RealizeOptions::Rxe::on && !rxe && locations::rootless())
    throw std::runtime_error("--rxe on: soft-RoCE devices are made in the host's network namespace (rdma link add), which "
                             "needs real root; a rootless run has TCP agents only: run as root, or use `scalelab vm -- …`");
  if (options.rxe == RealizeOptions::Rxe::on && !rxe)
    throw std::runtime_error("--rxe on: this kernel cannot run rxe in namespaces (" + caps.find("rxe-in-netns")->detail +
                             "); use `scalelab vm -- …`");

  ClusterDir dir = ClusterDir::claim(plan.cluster);
  const std::uint64_t neighbour_entries = plan::neighbour_entries_bound(plan);
  nlohmann::json state = {{"state", "creating"}, {"pid", getpid()}, {"started", now_iso8601()}, {"source", plan.source},
                          {"neighbour_entries", neighbour_entries}};
  Realizer realizer(plan, options, dir);
  realizer.set_netem_available(netem);
  std::vector<std::string> notes;
  try {
    if (caps.has("rps")) realizer.set_rps_mask(nl::online_cpu_mask());
    if (plan.topology.ecmp_seed) {
      const bool seedable = ::access("/proc/sys/net/ipv4/fib_multipath_hash_seed", F_OK) == 0;
      realizer.set_ecmp_seed_supported(seedable);
      if (!seedable)
        warnings.push_back(fmt::format("this kernel has no net.ipv4.fib_multipath_hash_seed (Linux < 6.11): ecmp_seed {} is not "
                                       "applied, and which spine each flow takes is the kernel's random choice",
                                       plan.topology.ecmp_seed));
    }
    dir.write_json("state.json", state);
    if (auto raised = fit_host_neighbour_limits(plan.cluster, neighbour_entries)) notes.push_back(*raised);
    dir.write_json("plan.json", plan::plan_to_json(plan));
    auto topology = model::topology_to_json(plan.topology);
    topology["dilation"] = plan.dilation;  // as resolved, so the rebuilt plan is this one
    dir.write_json("topology.json", topology);
    realizer.create_namespaces();
    realizer.create_veths();
    realizer.configure();
    if (rxe) realizer.create_rdma_devices();
    auto cluster_file = cluster_file_with_rdma(plan, rxe);
    // Before cluster.json, whose presence tells launchers the cluster is ready.
    dir.write_text(kHostsFile, plan::hosts_file_text(cluster_file));
    dir.write_json("cluster.json", cluster_file);
    state["state"] = "up";
    state["netem"] = netem;
    state["rxe"] = rxe;
    state["warnings"] = warnings;
    dir.write_json("state.json", state);
  } catch (...) {
    // Namespaces first, journal last: a crash in between still leaves a journal to replay.
    realizer.remove_all();
    dir.remove();
    try {
      restore_host_neighbour_limits_if_idle();
    } catch (const std::exception&) {
      // The bring-up's own error is the one to report; `clean` retries the restore.
    }
    throw;
  }
  realizer.keep_all();
  auto& report = realizer.report();
  report.namespaces = plan.namespaces.size();
  report.veths = plan.veths.size();
  report.warnings = std::move(warnings);
  report.notes = std::move(notes);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace scalelab::runtime
