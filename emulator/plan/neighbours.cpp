#include "emulator/plan/neighbours.h"

namespace scalelab::plan {

std::uint64_t neighbour_entries_bound(const Plan& plan) {
  std::uint64_t entries = 0;
  for (const auto& s : plan.segments) {
    const std::uint64_t m = s.members.size();
    if (m > 1) entries += m * (m - 1);
  }
  return entries;
}

}  // namespace scalelab::plan
