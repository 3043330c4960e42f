#pragma once
// What this machine can push through veth between namespaces, in aggregate — the budget every
// shaped link of an emulated cluster shares. Measured by `scalelab doctor --capacity` and kept
// in /var/lib/scalelab/capacity.json (rootless: the caller's own directory, falling back to the
// system's measurement, which is just as true of this machine), so `up --dilation auto` can size
// time dilation to it.
#include <cstdint>
#include <optional>
#include <string>

#include "emulator/model/topology.h"

namespace scalelab::runtime {

inline constexpr const char* kSystemCapacityFile = "/var/lib/scalelab/capacity.json";

struct Capacity {
  std::uint64_t veth_bps = 0;  // aggregate TCP goodput over unshaped veth pairs, all streams at once
  int streams = 0;
  double seconds = 0;
  std::string measured_at;
};

// Needs root: creates scratch namespaces (removed again) and runs TCP streams between them,
// inside 198.18.255.0/24, for `seconds`.
Capacity measure_capacity(double seconds, int streams);
// An empty path means locations::capacity_file().
void store_capacity(const Capacity& capacity, const std::string& path = {});
std::optional<Capacity> load_capacity(const std::string& path = {});

// What a topology's busiest collective asks of the machine at a dilation: every GPU sending at
// its fastest link's emulated rate at once, counted once per veth the traffic crosses (twice
// through a switch: GPU → switch → GPU), since the machine forwards every hop.
std::uint64_t aggregate_demand_bps(const model::Topology& topology, double dilation);
// The smallest dilation (1, 2, 5, 10, 20, 50, …) whose demand stays under half the capacity.
double auto_dilation(const model::Topology& topology, std::uint64_t capacity_bps);

}  // namespace scalelab::runtime
