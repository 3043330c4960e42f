#include "emulator/locations/locations.h"
#include "emulator/runtime/realize.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <sched.h>
#include <exception>
#include <thread>
#include <sys/resource.h>
#include <type_traits>
#include <unistd.h>

#include "emulator/model/topology_json.h"
#include "emulator/model/units.h"
#include "emulator/netlink/addresses.h"
#include "emulator/netlink/batch.h"
#include "emulator/netlink/error.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/rdma_link.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"
#include "emulator/netlink/rps.h"
#include "emulator/netlink/vxlan.h"
#include "emulator/plan/cluster_table.h"
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
      : plan_(plan), options_(options), dir_(dir), live_(plan.namespaces.size()) {
    for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
      if (is_here(i)) here_.push_back(i);
  }

  // Every namespace is journaled (in one write) before the first is created, so `down` finds
  // whatever a crash at any instant leaves. Each worker unshares from namespace to namespace and
  // opens the new one's netlink socket while inside: no switch back in between.
  std::size_t create_namespaces() {
    std::vector<std::string> names;
    for (auto i : here_) names.push_back(plan_.namespaces[i].netns);
    dir_.journal_netns(names);
    parallel_for_each_worker(here_.size(), options_.workers, [] { return nl::ThreadNetnsReturn(); },
                             [&](nl::ThreadNetnsReturn&, std::size_t k) {
                               const auto i = here_[k];
                               auto& live = live_[i];
                               live.netns.emplace(nl::NamedNetns::create_entered(plan_.namespaces[i].netns));
                               live.socket.emplace(-1);
                             });
    return here_.size();
  }

  // A worker enters each namespace once and writes its sysctls from inside, through a procfs of
  // its own (netns.h: the shared one's lookups grow with every namespace on the machine). The
  // workers are threads of their own, since they leave the process's mount namespace for good.
  std::size_t set_sysctls() {
    constexpr std::size_t kFreshProcEvery = 32;
    struct Worker {
      nl::ThreadNetnsReturn back;
      std::optional<nl::PrivateProc> proc;
      std::size_t done = 0;
    };
    std::atomic<std::size_t> written{0};
    std::exception_ptr failure;
    std::thread runner([&] {
      try {
        parallel_for_each_worker(
            here_.size(), options_.workers,
            [] {
              Worker w;
              try {
                w.proc.emplace();
              } catch (const std::exception&) {
                // The shared /proc still works, only more slowly.
              }
              return w;
            },
            [&](Worker& w, std::size_t k) {
              const auto i = here_[k];
              const auto& ns = plan_.namespaces[i];
              if (w.proc && ++w.done % kFreshProcEvery == 0) w.proc->refresh();
              nl::check_sys(setns(live_[i].netns->fd(), CLONE_NEWNET), "enter network namespace " + ns.netns);
              nl::NetSysctls net;
              // No IPv6: no link-local chatter, no router solicitations, nothing but the plan's
              // traffic. "all" sets "default" too, for the interfaces still to come.
              net.write("ipv6/conf/all/disable_ipv6", "1");
              std::size_t n = 1;
              if (ns.forwarding) net.write("ipv4/ip_forward", "1"), n++;
              // The topology's ECMP hash seed, so each flow takes the same equal-cost next hop on
              // every bring-up (drills that lose a spine depend on it); Linux < 6.11 has none.
              if (plan_.topology.ecmp_seed && ecmp_seed_supported_)
                net.write("ipv4/fib_multipath_hash_seed", std::to_string(plan_.topology.ecmp_seed)), n++;
              // Before any interface exists, so every veth and bridge keeps each flow in order (rps.h).
              if (!rps_mask_.empty()) net.write("core/rps_default_mask", rps_mask_), n++;
              written += n;
            });
      } catch (...) {
        failure = std::current_exception();
      }
    });
    runner.join();
    if (failure) std::rethrow_exception(failure);
    return written;
  }

  // Loopback up, the bridge, and every veth from its near end (bridge ports enslaved at once),
  // both ends down: one batch of requests per namespace. Grafting a root qdisc onto a link that
  // is up makes the kernel wait for an RCU grace period under the rtnl lock (dev_deactivate),
  // once per interface and serialised across the machine; onto a link that is down, it does not.
  std::size_t create_links() {
    // Far ends that are bridge ports are not yet enslaved, nor are the VXLAN ends (below).
    std::vector<std::vector<std::size_t>> by_near(plan_.namespaces.size());
    far_ends_.resize(plan_.namespaces.size());
    for (std::size_t v = 0; v < plan_.veths.size(); ++v) {
      const auto& pair = plan_.veths[v];
      if (!is_here(pair.a_ns) || !is_here(pair.b_ns)) continue;  // a cut link: a VXLAN end below
      local_veths_++;
      const bool a_near = a_is_near(plan_, pair);
      by_near[a_near ? pair.a_ns : pair.b_ns].push_back(v);
      far_ends_[a_near ? pair.b_ns : pair.a_ns].push_back(a_near ? pair.b_if : pair.a_if);
    }
    std::atomic<std::size_t> requests{0};
    parallel_for(here_.size(), options_.workers, [&](std::size_t k) {
      const auto i = here_[k];
      const auto& ns = plan_.namespaces[i];
      nl::RequestBatch batch(*live_[i].socket);
      nl::set_link_up(batch, kLoopbackIfindex, true);
      if (ns.has_bridge) nl::create_bridge(batch, "br0", plan::kBridgeIfindex, ns.bridge_mtu);
      for (std::size_t v : by_near[i]) {
        const auto& pair = plan_.veths[v];
        bool a_near = a_is_near(plan_, pair);
        std::size_t near_ns = a_near ? pair.a_ns : pair.b_ns, far_ns = a_near ? pair.b_ns : pair.a_ns;
        const auto& near_if = plan_.namespaces[near_ns].interfaces[a_near ? pair.a_if : pair.b_if];
        const auto& far_if = plan_.namespaces[far_ns].interfaces[a_near ? pair.b_if : pair.a_if];
        nl::create_veth(batch, {near_if.ifname, near_if.ifindex, near_if.mtu, near_if.bridge_port ? plan::kBridgeIfindex : 0, false},
                        live_[far_ns].netns->fd(), {far_if.ifname, far_if.ifindex, far_if.mtu, 0});
      }
      batch.flush();
      requests += batch.requests();
    });
    if (options_.shard) requests += create_vxlan_ends(*options_.shard);
    return requests;
  }

  // Through this process's own namespace, the machine's underlay: there the UDP sockets stay.
  std::size_t create_vxlan_ends(const ShardPlacement& shard) {
    nl::RouteSocket underlay(-1);
    int underlay_ifindex = 0;
    if (!shard.underlay_dev.empty()) {
      auto dev = nl::get_link(underlay, shard.underlay_dev);
      underlay_ifindex = dev.ifindex;
      for (const auto& end : shard.cross) {
        const auto& pair = plan_.veths[end.veth];
        const auto mtu = plan_.namespaces[pair.a_ns].interfaces[pair.a_if].mtu;
        if (mtu + nl::kVxlanOverhead > dev.mtu)
          throw std::runtime_error(fmt::format(
              "machine {}: the underlay {} has MTU {}, but link {}:{} ⇄ {}:{} needs {} + {} bytes of VXLAN: raise the underlay's "
              "MTU to {} (ip link set {} mtu {}) or lower the topology's mtu",
              shard.machine, shard.underlay_dev, dev.mtu, plan_.namespaces[pair.a_ns].node, plan_.namespaces[pair.a_ns].interfaces[pair.a_if].ifname,
              plan_.namespaces[pair.b_ns].node, plan_.namespaces[pair.b_ns].interfaces[pair.b_if].ifname, mtu, nl::kVxlanOverhead,
              mtu + nl::kVxlanOverhead, shard.underlay_dev, mtu + nl::kVxlanOverhead));
      }
    }
    nl::RequestBatch batch(underlay);
    for (const auto& end : shard.cross) {
      const auto& pair = plan_.veths[end.veth];
      const bool a_here = is_here(pair.a_ns);
      const auto ns = a_here ? pair.a_ns : pair.b_ns;
      const auto itf = a_here ? pair.a_if : pair.b_if;
      const auto& iface = plan_.namespaces[ns].interfaces[itf];
      nl::create_vxlan(batch, {iface.ifname, iface.ifindex, iface.mtu, end.vni, end.local, end.remote, underlay_ifindex},
                       live_[ns].netns->fd());
      far_ends_[ns].push_back(itf);
    }
    batch.flush();
    return batch.requests();
  }

  // Every interface up, after its qdiscs; far-end bridge ports enslaved on the way.
  std::size_t set_links_up() {
    return per_namespace_batch([&](std::size_t i, const plan::Namespace& ns, nl::RequestBatch& batch) {
      std::vector<char> far(ns.interfaces.size(), 0);
      for (std::size_t f : far_ends_[i]) far[f] = 1;
      for (std::size_t k = 0; k < ns.interfaces.size(); ++k) {
        const auto& iface = ns.interfaces[k];
        if (far[k] && iface.bridge_port)
          nl::enslave_and_set_up(batch, iface.ifindex, plan::kBridgeIfindex);
        else
          nl::set_link_up(batch, iface.ifindex, true);
      }
    });
  }

  std::size_t add_addresses() {
    std::size_t n = per_namespace_batch([&](std::size_t, const plan::Namespace& ns, nl::RequestBatch& batch) {
      if (!ns.bridge_address.empty()) nl::add_address(batch, plan::kBridgeIfindex, ns.bridge_address);
      for (const auto& iface : ns.interfaces)
        if (!iface.address.empty()) nl::add_address(batch, iface.ifindex, iface.address);
    });
    report_.addresses = n;
    return n;
  }

  std::size_t add_qdiscs() {
    std::atomic<std::size_t> qdiscs{0};
    std::size_t n = per_namespace_batch([&](std::size_t, const plan::Namespace& ns, nl::RequestBatch& batch) {
      for (const auto& iface : ns.interfaces) {
        nl::add_htb(batch, iface.ifindex, {iface.egress.rate_bps, iface.egress.burst_bytes, iface.egress.quantum_bytes, iface.mtu});
        qdiscs++;
        if (iface.egress.needs_netem() && netem_) {
          nl::set_netem(batch, iface.ifindex, {iface.egress.delay_ns, iface.egress.jitter_ns, iface.egress.loss, iface.egress.netem_limit_packets});
          qdiscs++;
        }
      }
    });
    report_.qdiscs = qdiscs;
    return n;
  }

  std::size_t add_routes() {
    std::size_t n = per_namespace_batch([&](std::size_t, const plan::Namespace& ns, nl::RequestBatch& batch) {
      for (const auto& route : ns.routes) {
        std::vector<nl::RouteNexthop> hops;
        for (const auto& h : route.nexthops) hops.push_back({h.gateway, h.ifindex});
        nl::replace_route(batch, route.destination, hops);
      }
    });
    report_.routes = n;
    return n;
  }

  // One rxe device per GPU interface, named uniquely across the machine because rxe devices
  // are visible from every namespace (`rdma system` netns mode shared).
  std::size_t create_rdma_devices() {
    parallel_for(here_.size(), options_.workers, [&](std::size_t k) {
      const auto i = here_[k];
      const auto& ns = plan_.namespaces[i];
      if (ns.kind != model::NodeKind::gpu) return;
      for (const auto& iface : ns.interfaces) {
        if (iface.address.empty()) continue;
        nl::create_rxe(live_[i].netns->fd(), nl::rxe_device_name(plan_.cluster, ns.node, iface.ifname), iface.ifname);
        std::lock_guard lock(counts_mutex_);
        report_.rdma_devices++;
      }
    });
    return report_.rdma_devices;
  }

  void set_netem_available(bool available) { netem_ = available; }
  void set_rps_mask(std::string mask) { rps_mask_ = std::move(mask); }
  void set_ecmp_seed_supported(bool supported) { ecmp_seed_supported_ = supported; }
  // Unwinds a failed bring-up: closing a created namespace's handle removes it.
  void remove_all() {
    for (auto& l : live_) l.socket.reset();
    // Unmounting is most of it and the kernel lets it run in parallel.
    parallel_for(live_.size(), options_.workers, [&](std::size_t i) { live_[i].netns.reset(); });
  }
  void keep_all() {
    for (auto& l : live_)
      if (l.netns) l.netns->keep();
  }
  RealizeReport& report() { return report_; }
  std::size_t namespaces_here() const { return here_.size(); }
  std::size_t local_veths() const { return local_veths_; }

 private:
  // Whether this machine holds namespace i: every one, unless the plan is cut across machines.
  bool is_here(std::size_t i) const { return !options_.shard || options_.shard->machine_of.at(i) == options_.shard->self; }

  // fill(i, namespace, batch) for every namespace in parallel, each batch flushed; returns the
  // number of requests sent.
  template <class Fill>
  std::size_t per_namespace_batch(Fill fill) {
    std::atomic<std::size_t> requests{0};
    parallel_for(here_.size(), options_.workers, [&](std::size_t k) {
      const auto i = here_[k];
      nl::RequestBatch batch(*live_[i].socket);
      fill(i, plan_.namespaces[i], batch);
      batch.flush();
      requests += batch.requests();
    });
    return requests;
  }

  const plan::Plan& plan_;
  const RealizeOptions& options_;
  ClusterDir& dir_;
  std::vector<LiveNamespace> live_;
  std::vector<std::size_t> here_;  // the namespaces this machine holds (all, unless a shard)
  std::size_t local_veths_ = 0;
  std::vector<std::vector<std::size_t>> far_ends_;  // per namespace: interface indexes
  bool netem_ = false;
  std::string rps_mask_;  // empty: the kernel cannot steer per namespace
  bool ecmp_seed_supported_ = false;
  std::mutex counts_mutex_;
  RealizeReport report_;
};

// Runs one phase and records its wall time and the objects it reports.
class PhaseClock {
 public:
  explicit PhaseClock(std::vector<PhaseTiming>& phases) : phases_(phases) {}
  template <class Fn>
  void run(const char* phase, Fn fn) {
    auto t0 = std::chrono::steady_clock::now();
    std::size_t objects = 0;
    if constexpr (std::is_void_v<decltype(fn())>)
      fn();
    else
      objects = fn();
    phases_.push_back({phase, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), objects});
  }

 private:
  std::vector<PhaseTiming>& phases_;
};

// Each namespace holds two descriptors (its handle and its netlink socket) until the end.
void allow_descriptors(std::size_t needed) {
  rlimit l{};
  if (getrlimit(RLIMIT_NOFILE, &l) != 0 || l.rlim_cur >= needed) return;
  l.rlim_cur = std::min<rlim_t>(l.rlim_max, needed);
  setrlimit(RLIMIT_NOFILE, &l);
}

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
  std::vector<PhaseTiming> phases;
  PhaseClock clock(phases);
  std::vector<std::string> warnings;
  nl::KernelCapabilities caps;
  clock.run("probe", [&] { caps = nl::probe_kernel_capabilities(); });
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
  allow_descriptors(2 * plan.namespaces.size() + 256);

  auto prepare_started = std::chrono::steady_clock::now();
  ClusterDir dir = ClusterDir::claim(plan.cluster);
  const std::uint64_t neighbour_entries = plan::neighbour_entries_bound(plan);
  nlohmann::json state = {{"state", "creating"}, {"pid", getpid()}, {"started", now_iso8601()}, {"source", plan.source},
                          {"neighbour_entries", neighbour_entries}};
  if (options.shard) {
    nlohmann::json here = nlohmann::json::array();
    for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
      if (options.shard->machine_of.at(i) == options.shard->self) here.push_back(plan.namespaces[i].node);
    state["shard"] = {{"machine", options.shard->machine}, {"index", options.shard->self}, {"cross_links", options.shard->cross.size()},
                      {"nodes", std::move(here)}};
  }
  Realizer realizer(plan, options, dir);
  realizer.set_netem_available(netem);
  std::vector<std::string> notes;
  try {
    clock.run("prepare", [&] {
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
    });
    phases.back().seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - prepare_started).count();
    clock.run("namespaces", [&] { return realizer.create_namespaces(); });
    clock.run("sysctls", [&] { return realizer.set_sysctls(); });
    clock.run("links", [&] { return realizer.create_links(); });
    clock.run("qdiscs", [&] { return realizer.add_qdiscs(); });
    clock.run("link-up", [&] { return realizer.set_links_up(); });
    clock.run("addresses", [&] { return realizer.add_addresses(); });
    clock.run("routes", [&] { return realizer.add_routes(); });
    if (rxe) clock.run("rxe", [&] { return realizer.create_rdma_devices(); });
    clock.run("files", [&] {
      auto cluster_file = cluster_file_with_rdma(plan, rxe);
      // Before cluster.json, whose presence tells launchers the cluster is ready.
      dir.write_text(kHostsFile, plan::hosts_file_text(cluster_file));
      dir.write_text(plan::kClusterTableFile, plan::cluster_table_text(cluster_file));
      dir.write_json("cluster.json", cluster_file);
      state["state"] = "up";
      state["netem"] = netem;
      state["rxe"] = rxe;
      state["warnings"] = warnings;
      dir.write_json("state.json", state);
    });
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
  report.namespaces = realizer.namespaces_here();
  report.veths = realizer.local_veths();
  report.warnings = std::move(warnings);
  report.notes = std::move(notes);
  report.phases = std::move(phases);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

}  // namespace scalelab::runtime
