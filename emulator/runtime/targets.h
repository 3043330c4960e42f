#pragma once
// What a fault or a scenario step names: links and GPUs picked by name or by selector.
//   link:A-B        the link between nodes A and B        gpu3:nic0   the link of gpu3's nic0
//   rail:R          every link of leaf R (its GPUs' NICs and uplinks)
//   railR:hostH     the rail-R link of host H's GPU       tier:scale_up|scale_out
//   host:H          every link of host H's GPUs           rank:N      every link of rank N's GPU
//   switch:NAME, node:NAME or NAME                        every link of that node
//   all             every link / every GPU
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/plan/plan.h"

namespace scalelab::runtime {

// Says what was wrong and what selectors exist.
class TargetError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

std::vector<int> resolve_links(const plan::Plan& plan, const std::string& selector);
// GPU node names (rank order) for rank:N, host:H, rail:R (GPUs on leaf R), gpuX, all.
std::vector<std::string> resolve_gpus(const plan::Plan& plan, const std::string& selector);
// "gpu3:nic0" style (GPU, interface) pairs for nic actions: rank:N/host:H/gpuX give every NIC.
std::vector<std::pair<std::string, std::string>> resolve_nics(const plan::Plan& plan, const std::string& selector);

}  // namespace scalelab::runtime
