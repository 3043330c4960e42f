#pragma once
// One fault applied to a live cluster by hand, in real-hardware units (the cluster dilates them
// as it dilated the topology). Build them with the helpers: c.inject(scalelab::link_down("rail:1")).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace scalelab {

struct Fault {
  // link_down link_up nic_down nic_up degrade restore partition heal reconverge
  std::string action;
  // link:A-B, GPU:IFNAME, rail:R, railR:hostH, host:H, rank:N, tier:T, switch:NAME, NAME;
  // partition: SIDE_A/SIDE_B, each a comma list of GPU selectors
  std::string target;
  std::string rate, delay, jitter, loss;  // degrade: "100Gb/s", "50us", "5us", "1%"; empty = unchanged
  std::string converge_after = "0us";     // link and nic faults: reroute around them after this long
};

struct Degradation {
  std::string rate, delay, jitter, loss;
};

Fault link_down(std::string target, std::string converge_after = "0us");
Fault link_up(std::string target, std::string converge_after = "0us");
Fault nic_down(std::string target, std::string converge_after = "0us");
Fault nic_up(std::string target, std::string converge_after = "0us");
Fault degrade(std::string target, Degradation change);
Fault restore(std::string target);  // back to the planned shaping
Fault partition(std::string side_a, std::string side_b);
Fault heal();
Fault reconverge();

// What a fault changed.
struct FaultReport {
  std::vector<std::string> links;  // "gpu0-leaf0" for link_down/link_up/degrade/restore
  std::vector<std::string> nics;   // "gpu1:nic0" for nic_down/nic_up
  bool rxe = false;                // the nics' rxe devices changed with them
  std::optional<std::size_t> rerouted;  // routes changed by the control plane, when it ran
  std::optional<std::uint64_t> rate_bps;  // degrade: the new emulated rate
  std::size_t side_a = 0, side_b = 0;   // partition: GPUs on each side
};

}  // namespace scalelab
