#include "emulator/job/layout.h"

#include <map>

#include <fmt/format.h>

namespace scalelab::job {
namespace {

int kind_index(GroupKind k) { return static_cast<int>(k); }

int dense_size(const Parallel& p, GroupKind k) {
  return k == GroupKind::tp ? p.tp : k == GroupKind::pp ? p.pp : p.dp;
}

}  // namespace

const Group& Layout::group_of(GroupKind k, int rank) const { return groups.at(group_index_.at(rank)[kind_index(k)]); }
int Layout::group_rank(GroupKind k, int rank) const { return position_.at(rank)[kind_index(k)]; }
int Layout::size(GroupKind k) const { return k == GroupKind::ep ? parallel.ep : dense_size(parallel, k); }

std::string Layout::describe() const {
  std::string order;
  for (auto k : parallel.order) order += (order.empty() ? "" : "-") + std::string(group_kind_name(k));
  return fmt::format("tp {} × pp {} × dp {} (order {}), ep {}", parallel.tp, parallel.pp, parallel.dp, order, parallel.ep);
}

Layout make_layout(const Parallel& requested, const std::vector<int>& domains, const std::string& source) {
  Layout l;
  l.world = static_cast<int>(domains.size());
  l.parallel = requested;
  Parallel& p = l.parallel;
  const int tp_pp = p.tp * p.pp;
  if (p.dp == 0) {
    if (l.world % tp_pp != 0)
      throw JobError(source, "/parallel", fmt::format("tp {} × pp {} = {} does not divide the cluster's {} GPUs, so dp "
                                                      "cannot be \"auto\"; pick tp and pp whose product divides {}",
                                                      p.tp, p.pp, tp_pp, l.world, l.world));
    p.dp = l.world / tp_pp;
    if (p.dp % p.ep != 0)
      throw JobError(source, "/parallel/ep", fmt::format("ep {} must divide dp {} (= {} GPUs / (tp {} × pp {})): expert "
                                                         "parallelism splits the data-parallel ranks",
                                                         p.ep, p.dp, l.world, p.tp, p.pp));
  }
  if (tp_pp * p.dp != l.world)
    throw JobError(source, "/parallel", fmt::format("tp {} × pp {} × dp {} = {} ranks, but the cluster has {} GPUs; make "
                                                    "the product {} or set \"dp\": \"auto\"",
                                                    p.tp, p.pp, p.dp, tp_pp * p.dp, l.world, l.world));
  l.group_index_.assign(l.world, {});
  l.position_.assign(l.world, {});
  // Coordinates of every rank in the dense dimensions.
  std::vector<std::array<int, 4>> coord(l.world);
  for (int r = 0; r < l.world; ++r) {
    int rest = r;
    for (GroupKind k : p.order) {
      const int s = dense_size(p, k);
      coord[r][kind_index(k)] = rest % s;
      rest /= s;
    }
    coord[r][kind_index(GroupKind::ep)] = coord[r][kind_index(GroupKind::dp)] % p.ep;
  }
  for (GroupKind k : kGroupKinds) {
    // A group is the ranks that agree on every coordinate but k's (for ep: also on dp / ep).
    std::map<std::array<int, 4>, int> key_to_group;
    for (int r = 0; r < l.world; ++r) {
      auto key = coord[r];
      key[kind_index(k)] = -1;
      if (k == GroupKind::ep) key[kind_index(GroupKind::dp)] /= p.ep;
      if (k == GroupKind::dp) key[kind_index(GroupKind::ep)] = -1;
      auto [it, fresh] = key_to_group.try_emplace(key, static_cast<int>(l.groups.size()));
      if (fresh) l.groups.push_back({k, static_cast<int>(key_to_group.size()) - 1, {}});
      auto& g = l.groups[it->second];
      l.group_index_[r][kind_index(k)] = it->second;
      l.position_[r][kind_index(k)] = static_cast<int>(g.members.size());
      g.members.push_back(r);  // ascending rank = ascending coordinate: every other one is fixed
    }
  }
  if (p.tp > 1)
    for (const auto& g : l.groups) {
      if (g.kind != GroupKind::tp) continue;
      for (int r : g.members)
        if (domains[r] < 0 || domains[r] != domains[g.members.front()])
          throw JobError(source, "/parallel/tp", fmt::format("TP group {} (ranks {}…{}) would span more than one scale-up "
                                                             "domain (rank {} is in domain {}, rank {} in {}); tensor "
                                                             "parallelism must stay on NVLink: make tp divide the domain "
                                                             "size, or put tp first in \"order\"",
                                                             g.index, g.members.front(), g.members.back(), g.members.front(),
                                                             domains[g.members.front()], r, domains[r]));
    }
  return l;
}

}  // namespace scalelab::job
