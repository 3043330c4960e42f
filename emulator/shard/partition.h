#pragma once
// One cluster cut across several machines (issue 14): whole scale-up domains stay on one
// machine, the fabric's switches and routers go where most of their links are. Pure: computed
// from a Plan, touches nothing, so `scalelab plan FILE --machines N` prints it before anything
// starts and the shard verbs of every machine derive the same cut from the same plan.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/plan/plan.h"

namespace scalelab::shard {

class PartitionError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MachineLoad {
  std::string machine;             // "m1", or the ssh target it was given as
  std::size_t namespaces = 0, gpus = 0, fabric_nodes = 0;
  std::size_t local_links = 0;     // veth pairs with both ends here
  std::size_t cross_links = 0;     // links with one end here: a VXLAN device each
  std::uint64_t shaped_egress_bps = 0;  // every egress here, emulated (what this machine's CPU moves at most)
  std::uint64_t cross_egress_bps = 0;   // of which over the underlay
};

struct CrossLink {
  std::size_t veth = 0;            // index into Plan::veths
  int a_machine = 0, b_machine = 0;
};

struct Partition {
  std::vector<int> machine_of;     // per Plan::namespaces index
  std::vector<MachineLoad> machines;
  std::vector<CrossLink> cross;    // in veth order
  std::size_t domains = 0;         // scale-up domains (kept whole) the GPUs form
};

// `machines`: one name per machine, in order. Throws PartitionError when the cut cannot keep
// every scale-up domain whole (more machines than domains) or the names are empty/repeated.
Partition partition(const plan::Plan& plan, const std::vector<std::string>& machines);

// "4" → m1..m4; "a,b,c" → those names.
std::vector<std::string> machine_names(const std::string& spec);

}  // namespace scalelab::shard
