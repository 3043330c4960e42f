#pragma once
// How many ARP (neighbour) entries a cluster can make. The kernel's neighbour table is one table
// for every network namespace, bounded by the host's net.ipv4.neigh.default.gc_thresh3 (1024 by
// default): past it, "neighbor table overflow!", new entries fail and packets to unresolved
// neighbours are dropped without a counter anywhere in the namespaces — at 256 GPUs TCP connects
// then stall in SYN retransmits and collectives in spurious timeouts. Pure.
#include <cstdint>

#include "emulator/plan/plan.h"

namespace scalelab::plan {

// Every endpoint of an L2 segment may resolve every other one: Σ members × (members − 1).
std::uint64_t neighbour_entries_bound(const Plan& plan);

}  // namespace scalelab::plan
