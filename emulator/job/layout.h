#pragma once
// Where a job's parallel groups land on the cluster's ranks, as Megatron-LM's RankGenerator lays
// them out: rank = c0 + s0 × (c1 + s1 × c2) over the dense dimensions in `order` (tp innermost by
// default, so a TP group is consecutive ranks: one scale-up domain), and EP as the innermost part
// of DP (ranks with the same tp and pp coordinates and the same dp / ep).
#include <array>
#include <string>
#include <vector>

#include "emulator/job/job_spec.h"

namespace scalelab::job {

struct Group {
  GroupKind kind = GroupKind::tp;
  int index = 0;             // among the groups of its kind
  std::vector<int> members;  // world ranks, in group-rank order
};

class Layout {
 public:
  Parallel parallel;  // dp resolved
  int world = 0;
  std::vector<Group> groups;  // every group of every kind, including groups of one rank

  const Group& group_of(GroupKind k, int rank) const;
  // This rank's position in its group of kind k (its pipeline stage for pp, its expert slot for ep).
  int group_rank(GroupKind k, int rank) const;
  int size(GroupKind k) const;
  // "tp 4 × pp 2 × dp 2 (order tp-dp-pp), ep 1"
  std::string describe() const;

 private:
  friend Layout make_layout(const Parallel&, const std::vector<int>&, const std::string&);
  std::vector<std::array<int, 4>> group_index_;  // [rank][kind] → index into groups
  std::vector<std::array<int, 4>> position_;     // [rank][kind] → group rank
};

// `domains[r]`: rank r's scale-up domain (< 0: none). Throws JobError (pointer into /parallel)
// when the sizes do not multiply to the world or a TP group would leave its scale-up domain.
Layout make_layout(const Parallel& p, const std::vector<int>& domains, const std::string& source);

}  // namespace scalelab::job
