#pragma once
#include <vector>

namespace scalelab::job::testing {

// Scale-up domains of `per_domain` consecutive ranks, as the compact topologies lay them out.
inline std::vector<int> domains(int world, int per_domain) {
  std::vector<int> d(world);
  for (int r = 0; r < world; ++r) d[r] = r / per_domain;
  return d;
}

}  // namespace scalelab::job::testing
