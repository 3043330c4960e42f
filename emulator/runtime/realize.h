#pragma once
// Plan → live kernel objects, in parallel, journaled, and unwound completely on any failure.
#include <cstdint>
#include <string>
#include <vector>

#include "emulator/netlink/capabilities.h"
#include "emulator/plan/plan.h"

namespace scalelab::runtime {

// This machine's part of a cluster cut across machines (emulator/shard): only its namespaces
// are made, and each link with one end here gets that end as a VXLAN device to the machine
// holding the other.
struct ShardPlacement {
  std::string machine;             // this machine's name, for errors and the record
  int self = 0;                    // index into the machines
  std::vector<int> machine_of;     // per Plan::namespaces index
  struct CrossEnd {
    std::size_t veth = 0;          // index into Plan::veths
    std::uint32_t vni = 0;
    std::string local, remote;     // underlay IPv4 addresses: this machine's, the peer machine's
  };
  std::vector<CrossEnd> cross;     // the cut links with an end here
  std::string underlay_dev;        // the underlay device in this process's namespace ("": the kernel's route)
};

struct RealizeOptions {
  std::size_t workers = 4;      // syscall-bound, so more than the core count helps a little
  bool require_netem = false;   // refuse instead of warning when netem is missing
  enum class Rxe { auto_, on, off } rxe = Rxe::auto_;  // soft-RoCE devices on every GPU interface
  const ShardPlacement* shard = nullptr;  // null: the whole plan on this machine
};

// Wall time of one step of a bring-up, in the order they ran (`scalelab up --timings`).
struct PhaseTiming {
  std::string phase;        // probe, prepare, namespaces, sysctls, links, link-up, addresses, qdiscs, routes, rxe, files
  double seconds = 0;
  std::size_t objects = 0;  // kernel objects or requests made in it (0: not counted)
};

struct RealizeReport {
  double seconds = 0;
  std::vector<PhaseTiming> phases;
  std::size_t namespaces = 0, veths = 0, qdiscs = 0, routes = 0, addresses = 0, rdma_devices = 0;
  std::vector<std::string> warnings;  // e.g. latency not emulated because netem is missing
  std::vector<std::string> notes;     // host settings changed for the cluster (neighbour_limits.h)
};

// Throws on failure after removing everything it created (and the cluster directory).
// ClusterExists when the name is taken.
RealizeReport realize(const plan::Plan& plan, const RealizeOptions& options);

}  // namespace scalelab::runtime
