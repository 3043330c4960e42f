#pragma once
// Changing a live cluster: links down and up (both ends), NICs down and up (the GPU end and its
// rxe device), rate/delay/jitter/loss changes, partitions, and the control plane's rerouting.
// Every change goes through netlink and is recorded in the cluster's faults.json.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/plan/plan.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/fault_state.h"

namespace scalelab::runtime {

class LiveCluster {
 public:
  // Throws std::runtime_error when the cluster is not up.
  static LiveCluster open(const std::string& cluster);
  LiveCluster(LiveCluster&&) noexcept;
  ~LiveCluster();

  const plan::Plan& plan() const { return plan_; }
  const FaultState& faults() const { return faults_; }
  bool netem_available() const { return netem_; }
  bool rxe_enabled() const { return rxe_; }

  void set_links(const std::vector<int>& links, bool up);
  void set_nic(const std::string& gpu, const std::string& ifname, bool up);
  // Throws when delay/jitter/loss are asked for on a kernel without netem.
  void degrade(const std::vector<int>& links, const LinkDegradation& change);
  void restore(const std::vector<int>& links);  // back to the plan's shaping
  void partition(const std::vector<std::string>& side_a, const std::vector<std::string>& side_b);
  void heal();  // every partition
  // Recomputes routes around every failed link and installs the differences; returns how
  // many routes changed.
  std::size_t reconverge();

  // The faults in force, in a drill's vocabulary: "link_down gpu0-leaf0", "nic_down gpu3:nic0",
  // "degrade gpu1-leaf1", "partition gpu0,gpu1 | gpu2,gpu3". A launcher whose ranks failed names
  // them, since the workload itself knows nothing of scalelab's faults.
  std::vector<std::string> faults_in_force() const;

  // Link ids in plan order; "a-b" names (either order) and ids both accepted.
  std::optional<int> find_link(const std::string& a, const std::string& b) const;

  // Whether this machine holds the namespace (always, unless the cluster spans machines: then
  // each machine changes its own ends and records every fault, so all agree on what is in force).
  bool holds(std::size_t ns) const { return !here_ || here_->count(ns) > 0; }

 private:
  LiveCluster(ClusterDir dir, plan::Plan plan, FaultState faults, bool netem, bool rxe);
  struct Sockets;
  void save();
  void apply_shaping(int link, const std::optional<LinkDegradation>& change);
  std::map<std::string, int> nic_links() const;

  ClusterDir dir_;
  plan::Plan plan_;
  FaultState faults_;
  bool netem_ = false, rxe_ = false;
  std::optional<std::set<std::size_t>> here_;  // shard of a cluster across machines: its namespaces
  std::unique_ptr<Sockets> sockets_;
};

}  // namespace scalelab::runtime
