#include "emulator/runtime/live_cluster.h"

#include <algorithm>
#include <stdexcept>

#include "emulator/model/topology.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/rdma_link.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"
#include "emulator/plan/reroute.h"
#include "emulator/plan/shaping.h"
#include "emulator/runtime/shard_nodes.h"

namespace scalelab::runtime {

// Namespace handles and netlink sockets, opened once per namespace on first use.
struct LiveCluster::Sockets {
  std::map<std::size_t, std::pair<nl::NamedNetns, nl::RouteSocket>> open;
  const plan::Plan* plan = nullptr;

  std::pair<nl::NamedNetns, nl::RouteSocket>& at(std::size_t ns) {
    auto it = open.find(ns);
    if (it == open.end()) {
      auto netns = nl::NamedNetns::open(plan->namespaces[ns].netns);
      nl::RouteSocket sock(netns.fd());
      it = open.emplace(ns, std::pair{std::move(netns), std::move(sock)}).first;
    }
    return it->second;
  }
  nl::RouteSocket& socket(std::size_t ns) { return at(ns).second; }
  int netns_fd(std::size_t ns) { return at(ns).first.fd(); }
};

LiveCluster LiveCluster::open(const std::string& cluster) {
  auto dir = ClusterDir::open(cluster);
  if (!dir) throw std::runtime_error("no cluster named \"" + cluster + "\" is up");
  auto state = dir->read_json("state.json");
  if (!state || state->value("state", "") != "up")
    throw std::runtime_error("cluster " + cluster + " is not fully up (state " + (state ? state->value("state", "?") : "missing") + ")");
  auto topology_json = dir->read_json("topology.json");
  if (!topology_json) throw std::runtime_error("cluster " + cluster + " has no topology.json (brought up by an older scalelab?)");
  auto topology = model::parse_topology(topology_json->dump(), dir->path("topology.json"));
  auto plan = plan::build_plan(topology);
  plan.source = state->value("source", plan.source);
  auto faults = FaultState::from_json(dir->read_json("faults.json").value_or(nlohmann::json::object()));
  auto nodes = shard_nodes(*dir);
  LiveCluster live(std::move(*dir), std::move(plan), std::move(faults), state->value("netem", false), state->value("rxe", false));
  if (nodes) {
    live.here_.emplace();
    for (std::size_t i = 0; i < live.plan_.namespaces.size(); ++i)
      if (nodes->count(live.plan_.namespaces[i].node)) live.here_->insert(i);
  }
  return live;
}

LiveCluster::LiveCluster(ClusterDir dir, plan::Plan plan, FaultState faults, bool netem, bool rxe)
    : dir_(std::move(dir)), plan_(std::move(plan)), faults_(std::move(faults)), netem_(netem), rxe_(rxe), sockets_(std::make_unique<Sockets>()) {
  sockets_->plan = &plan_;
}

LiveCluster::LiveCluster(LiveCluster&& other) noexcept
    : dir_(std::move(other.dir_)), plan_(std::move(other.plan_)), faults_(std::move(other.faults_)), netem_(other.netem_),
      rxe_(other.rxe_), here_(std::move(other.here_)), sockets_(std::move(other.sockets_)) {
  if (sockets_) sockets_->plan = &plan_;
}

LiveCluster::~LiveCluster() = default;

void LiveCluster::save() { dir_.write_json("faults.json", faults_.to_json()); }

std::optional<int> LiveCluster::find_link(const std::string& a, const std::string& b) const {
  const auto& links = plan_.topology.links;
  for (std::size_t i = 0; i < links.size(); ++i)
    if ((links[i].a == a && links[i].b == b) || (links[i].a == b && links[i].b == a)) return static_cast<int>(i);
  return std::nullopt;
}

std::vector<std::string> LiveCluster::faults_in_force() const {
  std::vector<std::string> out;
  auto link_name = [&](int l) { return plan_.topology.links.at(l).a + "-" + plan_.topology.links.at(l).b; };
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  for (int l : faults_.down_links) out.push_back("link_down " + link_name(l));
  for (const auto& nic : faults_.down_nics) out.push_back("nic_down " + nic);
  for (const auto& [l, change] : faults_.degraded) out.push_back("degrade " + link_name(l));
  for (const auto& p : faults_.partitions) out.push_back("partition " + joined(p.side_a) + " | " + joined(p.side_b));
  return out;
}

std::map<std::string, int> LiveCluster::nic_links() const {
  std::map<std::string, int> out;
  for (const auto& ns : plan_.namespaces)
    if (ns.kind == model::NodeKind::gpu)
      for (const auto& i : ns.interfaces) out[ns.node + ":" + i.ifname] = i.link;
  return out;
}

void LiveCluster::set_links(const std::vector<int>& links, bool up) {
  for (int link : links) {
    const auto& v = plan_.veths.at(link);
    for (auto [ns, ifi] : {std::pair{v.a_ns, v.a_if}, std::pair{v.b_ns, v.b_if}})
      if (holds(ns)) nl::set_link_up(sockets_->socket(ns), plan_.namespaces[ns].interfaces[ifi].ifindex, up);
    if (up)
      faults_.down_links.erase(link);
    else
      faults_.down_links.insert(link);
  }
  save();
}

void LiveCluster::set_nic(const std::string& gpu, const std::string& ifname, bool up) {
  const auto* ns = plan_.find(gpu);
  if (!ns || ns->kind != model::NodeKind::gpu) throw std::runtime_error("no gpu named \"" + gpu + "\"");
  auto it = std::find_if(ns->interfaces.begin(), ns->interfaces.end(), [&](const auto& i) { return i.ifname == ifname; });
  if (it == ns->interfaces.end()) throw std::runtime_error(gpu + " has no interface " + ifname);
  std::size_t index = ns - plan_.namespaces.data();
  std::string rxe = nl::rxe_device_name(plan_.cluster, gpu, ifname);
  // The rxe device goes first on the way down and comes back last on the way up, as a NIC
  // reset does: queue pairs on it fail at once (IBV_WC_WR_FLUSH_ERR) rather than time out.
  if (holds(index)) {
    if (!up && rxe_) nl::delete_rxe(sockets_->netns_fd(index), rxe);
    nl::set_link_up(sockets_->socket(index), it->ifindex, up);
    if (up && rxe_) nl::create_rxe(sockets_->netns_fd(index), rxe, ifname);
  }
  std::string key = gpu + ":" + ifname;
  if (up)
    faults_.down_nics.erase(key);
  else
    faults_.down_nics.insert(key);
  save();
}

void LiveCluster::apply_shaping(int link, const std::optional<LinkDegradation>& change) {
  const auto& v = plan_.veths.at(link);
  for (auto [ns, ifi] : {std::pair{v.a_ns, v.a_if}, std::pair{v.b_ns, v.b_if}}) {
    if (!holds(ns)) continue;
    const auto& iface = plan_.namespaces[ns].interfaces[ifi];
    plan::Shaping s = iface.egress;
    if (change) {
      if (change->rate_bps) {
        // Keep burst and quantum consistent with the new rate, as the plan derives them.
        model::LinkParams p = plan_.topology.links[link].params;
        p.bandwidth_bps = static_cast<std::uint64_t>(double(*change->rate_bps) * plan_.dilation);
        auto derived = plan::make_shaping(p, plan_.dilation);
        s.rate_bps = *change->rate_bps, s.burst_bytes = derived.burst_bytes, s.quantum_bytes = derived.quantum_bytes;
      }
      if (change->delay_ns) s.delay_ns = *change->delay_ns;
      if (change->jitter_ns) s.jitter_ns = *change->jitter_ns;
      if (change->loss) s.loss = *change->loss;
    }
    auto& sock = sockets_->socket(ns);
    nl::change_htb_rate(sock, iface.ifindex, {s.rate_bps, s.burst_bytes, s.quantum_bytes, iface.mtu});
    if (!netem_) continue;
    if (s.needs_netem())
      nl::set_netem(sock, iface.ifindex, {s.delay_ns, s.jitter_ns, s.loss, std::max<std::uint32_t>(s.netem_limit_packets, 1000)});
    else if (iface.egress.needs_netem() || (change && (change->delay_ns || change->jitter_ns || change->loss)))
      nl::delete_netem(sock, iface.ifindex);
  }
}

void LiveCluster::degrade(const std::vector<int>& links, const LinkDegradation& change) {
  if (!netem_ && (change.delay_ns || change.jitter_ns || change.loss))
    throw std::runtime_error("this kernel has no sch_netem: delay/jitter/loss cannot be applied (rate changes can); "
                             "run the cluster under `scalelab vm` for them");
  for (int link : links) {
    auto merged = faults_.degraded.count(link) ? faults_.degraded[link] : LinkDegradation{};
    if (change.rate_bps) merged.rate_bps = change.rate_bps;
    if (change.delay_ns) merged.delay_ns = change.delay_ns;
    if (change.jitter_ns) merged.jitter_ns = change.jitter_ns;
    if (change.loss) merged.loss = change.loss;
    apply_shaping(link, merged);
    faults_.degraded[link] = merged;
  }
  save();
}

void LiveCluster::restore(const std::vector<int>& links) {
  for (int link : links) {
    if (!faults_.degraded.count(link)) continue;
    apply_shaping(link, std::nullopt);
    faults_.degraded.erase(link);
  }
  save();
}

namespace {
std::vector<std::string> gpu_addresses(const plan::Plan& plan, const std::string& gpu) {
  std::vector<std::string> out;
  if (const auto* ns = plan.find(gpu))
    for (const auto& i : ns->interfaces)
      if (!i.address.empty()) out.push_back(i.address.substr(0, i.address.find('/')) + "/32");
  return out;
}
}  // namespace

void LiveCluster::partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b) {
  for (const auto& [from, to] : {std::pair{&side_a, &side_b}, std::pair{&side_b, &side_a}})
    for (const auto& gpu : *from) {
      const auto* ns = plan_.find(gpu);
      if (!ns) throw std::runtime_error("no node named \"" + gpu + "\"");
      if (!holds(ns - plan_.namespaces.data())) continue;
      auto& sock = sockets_->socket(ns - plan_.namespaces.data());
      for (const auto& peer : *to)
        for (const auto& address : gpu_addresses(plan_, peer)) nl::add_blackhole_route(sock, address);
    }
  faults_.partitions.push_back({side_a, side_b});
  save();
}

void LiveCluster::heal() {
  for (const auto& p : faults_.partitions)
    for (const auto& [from, to] : {std::pair{&p.side_a, &p.side_b}, std::pair{&p.side_b, &p.side_a}})
      for (const auto& gpu : *from) {
        if (!holds(plan_.find(gpu) - plan_.namespaces.data())) continue;
        auto& sock = sockets_->socket(plan_.find(gpu) - plan_.namespaces.data());
        for (const auto& peer : *to)
          for (const auto& address : gpu_addresses(plan_, peer)) {
            try {
              nl::delete_blackhole_route(sock, address);
            } catch (const std::exception&) {
              // already gone (an overlapping partition removed it): healing is idempotent
            }
          }
      }
  faults_.partitions.clear();
  save();
}

std::size_t LiveCluster::reconverge() {
  // Compared against what the kernel holds, not what was last installed: the kernel itself
  // drops routes through an interface that goes down, and a flap may come and go between two
  // convergences.
  auto failed = faults_.failed_links(nic_links());
  auto wanted = plan::routes_without(plan_, failed);
  std::size_t changed = 0;
  for (std::size_t ns = 0; ns < plan_.namespaces.size(); ++ns) {
    if (!holds(ns)) continue;
    auto& sock = sockets_->socket(ns);
    std::map<std::string, std::vector<std::pair<std::string, int>>> installed;
    for (const auto& r : nl::list_ipv4_routes(sock)) {
      std::vector<std::pair<std::string, int>> hops;
      for (const auto& h : r.nexthops)
        if (!h.gateway.empty()) hops.push_back({h.gateway, h.ifindex});
      std::sort(hops.begin(), hops.end());
      if (!hops.empty()) installed[r.destination] = std::move(hops);
    }
    for (const auto& route : wanted[ns]) {
      std::vector<std::pair<std::string, int>> hops;
      for (const auto& h : route.nexthops) hops.push_back({h.gateway, h.ifindex});
      auto it = installed.find(route.destination);
      std::sort(hops.begin(), hops.end());
      bool same = it != installed.end() && it->second == hops;
      if (it != installed.end()) installed.erase(it);
      if (same) continue;
      std::vector<nl::RouteNexthop> next;
      for (const auto& h : route.nexthops) next.push_back({h.gateway, h.ifindex});
      nl::replace_route(sock, route.destination, next);
      changed++;
    }
    for (const auto& [destination, hops] : installed) {
      nl::delete_route(sock, destination);
      changed++;
    }
  }
  faults_.routed_around = failed;
  save();
  return changed;
}

}  // namespace scalelab::runtime
