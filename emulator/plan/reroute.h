#pragma once
// The fabric's control plane, played by the planner: routes recomputed with some links failed,
// as BGP would converge to once the failure is noticed. Dead ECMP next hops disappear; a
// destination reachable no other way loses its route.
#include <set>
#include <vector>

#include "emulator/plan/plan.h"

namespace scalelab::plan {

// routes[i] for plan.namespaces[i], computed as build_plan does but without the L3 interfaces
// that sit on `failed_links`.
std::vector<std::vector<Route>> routes_without(const Plan& plan, const std::set<int>& failed_links);

}  // namespace scalelab::plan
