#include "collectives/setup.h"

#include <algorithm>

#include <map>

#include <set>

#include <fmt/format.h>

#include "collectives/tree.h"

namespace scalelab::agent {

std::optional<TransportKind> parse_transport_kind(std::string_view s) {
  if (s == "auto") return TransportKind::automatic;
  if (s == "tcp") return TransportKind::tcp;
  if (s == "verbs" || s == "rdma" || s == "ib") return TransportKind::verbs;
  if (s == "inprocess") return TransportKind::inprocess;
  return std::nullopt;
}

std::string_view transport_kind_name(TransportKind k) {
  switch (k) {
    case TransportKind::automatic: return "auto";
    case TransportKind::tcp: return "tcp";
    case TransportKind::verbs: return "verbs";
    case TransportKind::inprocess: return "inprocess";
  }
  return "?";
}

std::string TransportPlan::summary() const {
  return fmt::format("scale_up={} scale_out={}", transport_kind_name(scale_up.kind), transport_kind_name(scale_out.kind));
}

TransportPlan plan_transports(const ClusterInfo& c, int rank, TransportKind requested, const std::string& sysfs_root) {
  TransportPlan plan;
  const RankInfo& me = c.ranks.at(rank);
  for (Tier t : {Tier::scale_up, Tier::scale_out}) {
    TierTransport& tt = t == Tier::scale_up ? plan.scale_up : plan.scale_out;
    bool has_peer = false;
    for (int p = 0; p < c.world_size; ++p)
      if (p != rank && tier_between(c, rank, p) == t) has_peer = true;
    const auto& ep = t == Tier::scale_up ? me.scale_up : me.scale_out;
    tt.used = has_peer && ep.has_value();
    std::string dev = ep ? rdma_device_for(ep->ifname, ep->address, sysfs_root) : std::string();
    switch (requested) {
      case TransportKind::automatic:
        tt.kind = dev.empty() ? TransportKind::tcp : TransportKind::verbs;
        tt.device = dev;
        break;
      case TransportKind::verbs:
        if (dev.empty() && tt.used)
          throw std::runtime_error(fmt::format(
              "--transport verbs: no RDMA device carries {} {} for the {} tier of rank {} (looked in {}); create an "
              "rxe device on it or use --transport tcp",
              ep->ifname, ep->address, tier_name(t), rank, sysfs_root));
        tt.kind = TransportKind::verbs;
        tt.device = dev;
        break;
      default:
        tt.kind = requested;
        break;
    }
  }
  return plan;
}

std::vector<int> peers_needed(const ClusterInfo& c, int rank, bool alltoall, Algo algo) {
  return peers_needed(domains_of(c), rank, alltoall, algo);
}

std::vector<int> peers_needed(const std::vector<int>& domains, int rank, bool alltoall, Algo algo) {
  const int n = static_cast<int>(domains.size());
  std::set<int> peers;
  if (alltoall) {
    for (int p = 0; p < n; ++p) peers.insert(p);
  } else {
    // The collectives run as rings in rank order; barriers, maxima, sums and the header's gather
    // over the hierarchy's tree.
    peers.insert((rank + 1) % n);
    peers.insert((rank + n - 1) % n);
    const TreeLinks tree = hierarchy_tree(domains, rank);
    if (tree.parent >= 0) peers.insert(tree.parent);
    peers.insert(tree.children.begin(), tree.children.end());
    const Algo a = resolve_algo(domains, algo);
    const bool hier = uses_domain_stages(domains, a);
    std::vector<int> across(n);  // the group the stage across domains runs over: a rail, or the world
    for (int r = 0; r < n; ++r) across[r] = r;
    if (hier) {
      for (int r = 0; r < n; ++r)
        if (domains[r] == domains[rank]) peers.insert(r);
      across = rail_of(domains, rank);
    }
    const auto i = static_cast<long>(std::find(across.begin(), across.end(), rank) - across.begin());
    const auto m = static_cast<long>(across.size());
    if (a == Algo::tree) {  // tree_all_reduce: position i under (i-1)/2
      if (i > 0) peers.insert(across[(i - 1) / 2]);
      for (long k : {2 * i + 1, 2 * i + 2})
        if (k < m) peers.insert(across[k]);
    } else if (hier) {
      peers.insert(across[(i + 1) % m]);
      peers.insert(across[(i + m - 1) % m]);
    }
  }
  peers.erase(rank);
  return {peers.begin(), peers.end()};
}

std::unique_ptr<Comm> connect_comm(const ClusterInfo& c, int rank, const TransportPlan& plan,
                                   const ConnectOptions& opts) {
  const int n = c.world_size;
  std::vector<PeerRoute> routes(n);
  std::vector<PeerRoute> tcp_peers, verbs_peers;
  std::vector<bool> wanted(n, opts.peers.empty());
  for (int p : opts.peers) wanted.at(p) = true;
  for (int p = 0; p < n; ++p) {
    if (p == rank || !wanted[p]) continue;
    routes[p] = route_between(c, rank, p);
    const TransportKind k = plan.of(routes[p].tier).kind;
    if (k == TransportKind::verbs)
      verbs_peers.push_back(routes[p]);
    else if (k == TransportKind::tcp)
      tcp_peers.push_back(routes[p]);
    else
      throw std::logic_error(fmt::format("connect_comm: transport {} needs connect_inprocess_comm",
                                         transport_kind_name(k)));
  }
  std::vector<std::unique_ptr<Transport>> owned;
  Transport* tcp = nullptr;
  Transport* verbs = nullptr;
  // Listen on everything first, then connect: peers may already be dialling in.
  if (!tcp_peers.empty()) {
    TcpOptions o = opts.tcp;
    o.base_port = c.base_port;
    o.cluster = c.name;
    owned.push_back(std::make_unique<TcpTransport>(rank, n, o));
    tcp = owned.back().get();
  }
  if (!verbs_peers.empty()) {
    VerbsOptions o = opts.verbs;
    o.base_port = c.base_port;
    o.cluster = c.name;
    owned.push_back(make_verbs_transport(rank, n, o));
    verbs = owned.back().get();
  }
  const Deadline dl = Deadline::after(opts.connect_timeout);
  const auto start = Clock::now();
  try {
    if (tcp) tcp->connect(tcp_peers, dl);
    if (verbs) verbs->connect(verbs_peers, dl);
  } catch (CollectiveError& e) {
    e.set_elapsed_ms(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    throw;
  }
  std::vector<Transport*> via(n, nullptr);
  for (int p = 0; p < n; ++p)
    if (p != rank) via[p] = plan.of(routes[p].tier).kind == TransportKind::verbs ? verbs : tcp;
  return std::make_unique<Comm>(rank, n, domains_of(c), std::move(routes), std::move(via), std::move(owned), opts.comm);
}

std::unique_ptr<Comm> connect_inprocess_comm(std::shared_ptr<InProcessFabric> fabric, const ClusterInfo& c, int rank,
                                             CommOptions opts, Millis connect_timeout) {
  const int n = c.world_size;
  std::vector<PeerRoute> routes(n), peers;
  for (int p = 0; p < n; ++p) {
    if (p == rank) continue;
    routes[p] = route_between(c, rank, p);
    peers.push_back(routes[p]);
  }
  std::vector<std::unique_ptr<Transport>> owned;
  owned.push_back(std::make_unique<InProcessTransport>(std::move(fabric), rank));
  Transport* t = owned.back().get();
  const auto start = Clock::now();
  try {
    t->connect(peers, Deadline::after(connect_timeout));
  } catch (CollectiveError& e) {
    e.set_elapsed_ms(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    throw;
  }
  std::vector<Transport*> via(n, t);
  return std::make_unique<Comm>(rank, n, domains_of(c), std::move(routes), std::move(via), std::move(owned), opts);
}

}  // namespace scalelab::agent
