// The hierarchy's tree, rooted at rank 0: within a scale-up domain every rank hangs off the domain's
// leader (its lowest rank); the leaders, in rank order, form a binary tree (leader i under leader
// (i-1)/2). Small world-wide exchanges (barrier, maxima, sums, rank 0's gather of the ranks' lines)
// run over it: 2 + 2·log2(domains) message latencies where a ring takes 2(n-1), which at 1024
// ranks on a loaded 2-core machine is the difference between milliseconds and seconds.
#pragma once

#include <cstddef>
#include <vector>

namespace scalelab::agent {

struct TreeLinks {
  int parent = -1;            // -1 for rank 0
  std::vector<int> children;  // domain members first (for a leader), then child leaders
};

// `domains[r]` is rank r's scale-up domain id (equal ids share a domain; a negative id: none, the rank
// is a domain of its own).
TreeLinks hierarchy_tree(const std::vector<int>& domains, int rank);

// The ranks of `rank`'s subtree in pre-order (rank first, then each child's subtree in turn): the
// order a gather's blocks travel up in.
std::vector<int> tree_subtree(const std::vector<int>& domains, int rank);

// One rank's place in the domains, computed once per communicator (Comm::hierarchy()): rebuilt
// from the domain list on every call, it cost ~0.2 ms per collective per rank, which at 1024
// ranks on 2 cores was half of an 8-byte all_reduce's 220 ms.
struct Hierarchy {
  bool hier_applicable = false;             // nccl_conventions.h's hier_applicable(domains)
  std::vector<int> local;                   // the rank's domain, ascending (the rank alone without one)
  std::vector<int> rail;                    // the same local index in every domain, domains by id; hier_applicable only
  TreeLinks tree;                           // hierarchy_tree(domains, rank)
  std::vector<std::size_t> child_subtree;   // tree_subtree(domains, child).size() for each tree.children
  std::size_t subtree_size = 1;             // tree_subtree(domains, rank).size()
};
Hierarchy make_hierarchy(const std::vector<int>& domains, int rank);

}  // namespace scalelab::agent
