#pragma once
// Brings a shipped or inline topology up under a test-unique name and always takes it down.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::fixtures {

#define SCALELAB_REQUIRE_ROOT() \
  if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces (run: sudo make test)"

std::string unique_cluster_name(const std::string& stem);
model::Topology shipped_topology(const std::string& file);

class LiveCluster {
 public:
  explicit LiveCluster(model::Topology topology);  // renames it uniquely, brings it up
  ~LiveCluster();
  LiveCluster(const LiveCluster&) = delete;
  LiveCluster& operator=(const LiveCluster&) = delete;

  const plan::Plan& plan() const { return plan_; }
  const std::string& name() const { return plan_.cluster; }
  const plan::Namespace& node(const std::string& name) const;
  std::string address(const std::string& node, const std::string& ifname) const;  // without prefix

 private:
  plan::Plan plan_;
};

// Runs `scalelab ARGS…` and returns its exit status and combined output.
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult run_scalelab(const std::vector<std::string>& args);

// Interface names in the host's own namespace, to prove nothing was added there.
std::vector<std::string> host_interfaces();
std::vector<std::string> namespaces_of(const std::string& cluster);

}  // namespace scalelab::fixtures
