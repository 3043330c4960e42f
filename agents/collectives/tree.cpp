#include "collectives/tree.h"

#include "collectives/nccl_conventions.h"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace scalelab::agent {

namespace {

struct Layout {
  std::vector<int> leaders;                 // by domain index, ascending rank
  std::map<int, std::vector<int>> members;  // domain key -> its ranks, ascending
};

// A rank without a domain (id < 0) is a domain of its own; real ids are >= 0, so keys never collide.
int key_of(const std::vector<int>& domains, int r) { return domains[r] >= 0 ? domains[r] : -1 - r; }

Layout layout_of(const std::vector<int>& domains) {
  Layout l;
  for (int r = 0; r < static_cast<int>(domains.size()); ++r) {
    auto& m = l.members[key_of(domains, r)];
    if (m.empty()) l.leaders.push_back(r);
    m.push_back(r);
  }
  return l;
}

TreeLinks links_in(const Layout& l, const std::vector<int>& domains, int rank) {
  const auto& mine = l.members.at(key_of(domains, rank));
  TreeLinks t;
  if (mine.front() != rank) {
    t.parent = mine.front();
    return t;
  }
  t.children.assign(mine.begin() + 1, mine.end());
  std::size_t i = 0;
  while (l.leaders[i] != rank) ++i;
  if (i > 0) t.parent = l.leaders[(i - 1) / 2];
  for (std::size_t k : {2 * i + 1, 2 * i + 2})
    if (k < l.leaders.size()) t.children.push_back(l.leaders[k]);
  return t;
}

void preorder(const Layout& l, const std::vector<int>& domains, int rank, std::vector<int>& out) {
  out.push_back(rank);
  for (int c : links_in(l, domains, rank).children) preorder(l, domains, c, out);
}

}  // namespace

TreeLinks hierarchy_tree(const std::vector<int>& domains, int rank) {
  if (rank < 0 || rank >= static_cast<int>(domains.size()))
    throw std::out_of_range("hierarchy_tree: rank " + std::to_string(rank) + " outside the world");
  return links_in(layout_of(domains), domains, rank);
}

Hierarchy make_hierarchy(const std::vector<int>& domains, int rank) {
  if (rank < 0 || rank >= static_cast<int>(domains.size()))
    throw std::out_of_range("make_hierarchy: rank " + std::to_string(rank) + " outside the world");
  const Layout l = layout_of(domains);
  Hierarchy h;
  h.hier_applicable = hier_applicable(domains);
  h.local = l.members.at(key_of(domains, rank));
  h.tree = links_in(l, domains, rank);
  std::vector<int> order;
  for (int child : h.tree.children) {
    order.clear();
    preorder(l, domains, child, order);
    h.child_subtree.push_back(order.size());
    h.subtree_size += order.size();
  }
  if (h.hier_applicable) {
    const auto at = std::find(h.local.begin(), h.local.end(), rank) - h.local.begin();
    for (const auto& [key, members] : l.members) h.rail.push_back(members.at(static_cast<std::size_t>(at)));
  }
  return h;
}

std::vector<int> tree_subtree(const std::vector<int>& domains, int rank) {
  if (rank < 0 || rank >= static_cast<int>(domains.size()))
    throw std::out_of_range("tree_subtree: rank " + std::to_string(rank) + " outside the world");
  std::vector<int> out;
  preorder(layout_of(domains), domains, rank, out);
  return out;
}

}  // namespace scalelab::agent
