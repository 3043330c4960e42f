#include "emulator/shard/partition.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <numeric>
#include <set>

namespace scalelab::shard {
namespace {

struct UnionFind {
  std::vector<std::size_t> parent;
  explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  std::size_t find(std::size_t x) { return parent[x] == x ? x : parent[x] = find(parent[x]); }
  void join(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

// Scale-up domains with everything on their scale-up tier (NVSwitches), in rank order: the
// units no cut may split, since NVLink-class links cannot cross machines at their rate.
std::vector<std::vector<std::size_t>> scale_up_domains(const plan::Plan& plan, std::vector<bool>& in_domain) {
  const auto n = plan.namespaces.size();
  UnionFind uf(n);
  for (const auto& v : plan.veths)
    if (plan.namespaces[v.a_ns].interfaces[v.a_if].tier == plan::Tier::scale_up) uf.join(v.a_ns, v.b_ns);
  std::vector<int> host_first(n, -1);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& ns = plan.namespaces[i];
    if (ns.kind != plan::NodeKind::gpu || ns.host < 0) continue;
    auto h = static_cast<std::size_t>(ns.host);
    if (h >= host_first.size()) host_first.resize(h + 1, -1);
    if (host_first[h] < 0) host_first[h] = static_cast<int>(i);
    else uf.join(i, static_cast<std::size_t>(host_first[h]));
  }
  std::vector<bool> has_gpu(n, false);
  for (std::size_t i = 0; i < n; ++i)
    if (plan.namespaces[i].kind == plan::NodeKind::gpu) has_gpu[uf.find(i)] = true;
  std::vector<std::vector<std::size_t>> domains;
  std::vector<int> domain_of_root(n, -1);
  in_domain.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {  // gpus come first in rank order, so domains do too
    auto root = uf.find(i);
    if (!has_gpu[root]) continue;
    if (domain_of_root[root] < 0) {
      domain_of_root[root] = static_cast<int>(domains.size());
      domains.emplace_back();
    }
    domains[static_cast<std::size_t>(domain_of_root[root])].push_back(i);
    in_domain[i] = true;
  }
  return domains;
}

// Contiguous runs of domains (neighbouring ranks stay together, as jobs lay groups out), each
// run as close to an equal share of the namespaces as whole domains allow.
void place_domains(const std::vector<std::vector<std::size_t>>& domains, std::size_t machines, std::vector<int>& machine_of,
                   std::vector<std::size_t>& load) {
  std::size_t remaining = 0;
  for (const auto& d : domains) remaining += d.size();
  std::size_t next = 0;
  for (std::size_t m = 0; m < machines; ++m) {
    const double share = static_cast<double>(remaining) / static_cast<double>(machines - m);
    std::size_t taken = 0;
    while (next < domains.size()) {
      const auto size = domains[next].size();
      const bool must_leave = domains.size() - next <= machines - m - 1;  // one domain for each later machine
      const bool last = m + 1 == machines;
      if (taken > 0 && !last && (must_leave || static_cast<double>(taken) + static_cast<double>(size) / 2 > share)) break;
      for (auto ns : domains[next]) machine_of[ns] = static_cast<int>(m);
      taken += size;
      ++next;
    }
    load[m] = taken;
    remaining -= taken;
  }
}

// Switches and routers one at a time, the one with most links to placed nodes first, onto the
// machine holding most of its neighbours while that machine stays within the cap; then single
// moves that cut fewer links until none does.
void place_fabric(const plan::Plan& plan, const std::vector<std::vector<std::size_t>>& neighbours, std::size_t cap,
                  std::vector<int>& machine_of, std::vector<std::size_t>& load) {
  const auto machines = load.size();
  auto links_to = [&](std::size_t node) {
    std::vector<std::size_t> count(machines, 0);
    for (auto peer : neighbours[node])
      if (machine_of[peer] >= 0) count[static_cast<std::size_t>(machine_of[peer])]++;
    return count;
  };
  auto best_machine = [&](const std::vector<std::size_t>& count, int current) {
    int best = -1;
    for (std::size_t m = 0; m < machines; ++m) {
      const bool fits = static_cast<int>(m) == current || load[m] < cap;
      if (!fits) continue;
      if (best < 0 || count[m] > count[static_cast<std::size_t>(best)] ||
          (count[m] == count[static_cast<std::size_t>(best)] && load[m] < load[static_cast<std::size_t>(best)]))
        best = static_cast<int>(m);
    }
    return best;
  };
  std::set<std::size_t> unplaced;
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
    if (machine_of[i] < 0) unplaced.insert(i);
  while (!unplaced.empty()) {
    std::size_t pick = *unplaced.begin(), pick_links = 0;
    for (auto node : unplaced) {
      auto c = links_to(node);
      auto placed_links = std::accumulate(c.begin(), c.end(), std::size_t{0});
      if (placed_links > pick_links) pick = node, pick_links = placed_links;
    }
    auto m = best_machine(links_to(pick), -1);
    if (m < 0) m = static_cast<int>(std::min_element(load.begin(), load.end()) - load.begin());  // every machine at the cap
    machine_of[pick] = m;
    load[static_cast<std::size_t>(m)]++;
    unplaced.erase(pick);
  }
  for (int pass = 0; pass < 8; ++pass) {
    bool moved = false;
    for (std::size_t node = 0; node < plan.namespaces.size(); ++node) {
      if (plan.namespaces[node].kind == plan::NodeKind::gpu || neighbours[node].empty()) continue;
      auto count = links_to(node);
      const int from = machine_of[node];
      const int to = best_machine(count, from);
      if (to < 0 || to == from || count[static_cast<std::size_t>(to)] <= count[static_cast<std::size_t>(from)]) continue;
      load[static_cast<std::size_t>(from)]--;
      load[static_cast<std::size_t>(to)]++;
      machine_of[node] = to;
      moved = true;
    }
    if (!moved) break;
  }
}

}  // namespace

std::vector<std::string> machine_names(const std::string& spec) {
  const bool number = !spec.empty() && std::all_of(spec.begin(), spec.end(), [](unsigned char c) { return std::isdigit(c); });
  std::vector<std::string> names;
  if (number) {
    auto n = std::stoul(spec.size() > 6 ? std::string("1000000") : spec);
    if (n == 0 || n > 4096) throw PartitionError(fmt::format("--machines {}: give between 1 and 4096 machines", spec));
    for (unsigned long i = 1; i <= n; ++i) names.push_back(fmt::format("m{}", i));
    return names;
  }
  std::size_t start = 0;
  while (start <= spec.size()) {
    auto comma = spec.find(',', start);
    auto name = spec.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (name.empty()) throw PartitionError(fmt::format("--machines {}: an empty machine name; give N or user@host,user@host,…", spec));
    names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

Partition partition(const plan::Plan& plan, const std::vector<std::string>& machines) {
  if (machines.empty()) throw PartitionError("no machines to cut the cluster across");
  std::set<std::string> seen;
  for (const auto& m : machines)
    if (!seen.insert(m).second) throw PartitionError(fmt::format("machine {} is named twice; each machine gets one shard", m));
  std::vector<bool> in_domain;
  auto domains = scale_up_domains(plan, in_domain);
  if (domains.size() < machines.size())
    throw PartitionError(fmt::format(
        "cluster {} has {} scale-up domain(s) and a domain is never split across machines (its links run at NVLink rate): "
        "use at most {} machine(s), not {}",
        plan.cluster, domains.size(), domains.size(), machines.size()));

  const auto n = plan.namespaces.size();
  Partition p;
  p.domains = domains.size();
  p.machine_of.assign(n, -1);
  std::vector<std::size_t> load(machines.size(), 0);
  place_domains(domains, machines.size(), p.machine_of, load);

  std::vector<std::vector<std::size_t>> neighbours(n);
  for (const auto& v : plan.veths) {
    neighbours[v.a_ns].push_back(v.b_ns);
    neighbours[v.b_ns].push_back(v.a_ns);
  }
  // Within a tenth of an equal share, or the largest domain run where domains are what is uneven.
  const auto fair = (n + machines.size() - 1) / machines.size();
  const auto cap = std::max(*std::max_element(load.begin(), load.end()), fair + std::max<std::size_t>(1, fair / 10));
  place_fabric(plan, neighbours, cap, p.machine_of, load);

  for (const auto& name : machines) p.machines.push_back(MachineLoad{name});
  for (std::size_t i = 0; i < n; ++i) {
    auto& m = p.machines[static_cast<std::size_t>(p.machine_of[i])];
    const auto& ns = plan.namespaces[i];
    m.namespaces++;
    (ns.kind == plan::NodeKind::gpu ? m.gpus : m.fabric_nodes)++;
    for (const auto& itf : ns.interfaces) m.shaped_egress_bps += itf.egress.rate_bps;
  }
  for (std::size_t v = 0; v < plan.veths.size(); ++v) {
    const auto& veth = plan.veths[v];
    const int a = p.machine_of[veth.a_ns], b = p.machine_of[veth.b_ns];
    if (a == b) {
      p.machines[static_cast<std::size_t>(a)].local_links++;
      continue;
    }
    p.cross.push_back({v, a, b});
    for (auto [ns, ifx, m] : {std::tuple{veth.a_ns, veth.a_if, a}, std::tuple{veth.b_ns, veth.b_if, b}}) {
      auto& load_m = p.machines[static_cast<std::size_t>(m)];
      load_m.cross_links++;
      load_m.cross_egress_bps += plan.namespaces[ns].interfaces[ifx].egress.rate_bps;
    }
  }
  return p;
}

}  // namespace scalelab::shard
