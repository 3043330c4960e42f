#pragma once
// The host's neighbour-table limits (net.ipv4.neigh.default.gc_thresh1/2/3, init_net only, shared
// by every namespace: see plan/neighbours.h). `up` raises them to fit every cluster that is up,
// remembering the host's own values in /run/scalelab/host-neighbour-limits.json; the last `down`
// or `clean` writes those back, so the host ends as it began.
#include <cstdint>
#include <optional>
#include <string>

namespace scalelab::runtime {

struct NeighbourLimits {
  std::uint64_t gc_thresh1 = 0, gc_thresh2 = 0, gc_thresh3 = 0;
  bool operator==(const NeighbourLimits&) const = default;
};

// Limits that hold `entries` without garbage collection pressure (thresh1: GC leaves them alone,
// thresh2 twice that, thresh3 four times), never below `current`. Pure.
NeighbourLimits limits_for(std::uint64_t entries, const NeighbourLimits& current);

NeighbourLimits read_host_neighbour_limits();
// The host's table exists in the host's network namespace only: a rootless command reads it
// here, before it joins its session, and read_host_neighbour_limits() answers from then on.
void remember_host_neighbour_limits();

// Raises the host's limits for `cluster_entries` more entries on top of those of every other
// cluster that is up (their state.json "neighbour_entries"). Returns what it changed, for the
// user, or nothing when the limits already fit.
std::optional<std::string> fit_host_neighbour_limits(const std::string& cluster, std::uint64_t cluster_entries);

// Writes the host's own limits back once no cluster is up. Idempotent; a no-op when nothing was raised.
void restore_host_neighbour_limits_if_idle();

}  // namespace scalelab::runtime
