#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/plan/plan.h"
#include "emulator/process/enter_namespace.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/shard/operator.h"

namespace scalelab::cli {

// This machine's namespaces only: what `shard exec` runs on a machine of a cluster across
// machines, and `exec` for every other cluster.
[[noreturn]] void exec_here(const std::string& cluster, const std::string& node, const std::vector<std::string>& command) {
  auto dir = runtime::ClusterDir::open(cluster);
  if (!dir) fail_as("not_found", "no cluster named \"" + cluster + "\" is up");
  // The journal names every namespace of the cluster, one short line each: `run` and `bench`
  // start one exec per rank, and parsing plan.json instead (megabytes at 1024 GPUs) dominated
  // their launch time.
  const std::string netns = plan::netns_name(cluster, node);
  const auto journaled = dir->journaled_netns();
  if (std::find(journaled.begin(), journaled.end(), netns) == journaled.end())
    fail_as("not_found", fmt::format("cluster {} has no node \"{}\" (scalelab status {} lists them)", cluster, node, cluster));
  setenv("SCALELAB_CLUSTER", cluster.c_str(), 1);
  setenv("SCALELAB_NODE", node.c_str(), 1);
  setenv("SCALELAB_CLUSTER_FILE", dir->path("cluster.json").c_str(), 1);
  fail(process::exec_in_namespace(netns, command, {node, dir->path(runtime::kHostsFile)}), 127);
}

void add_exec_command(CLI::App& app) {
  struct Options {
    std::string node;
    std::vector<std::string> command;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("exec", "Run a command inside a node's namespace: scalelab exec CLUSTER/NODE -- CMD ARGS…");
  cmd->add_option("node", opts->node, "CLUSTER/NODE, or NODE when one cluster is up")->required();
  cmd->add_option("command", opts->command, "the command (after --)")->required();
  cmd->callback([opts] {
    require_root("exec", "enters network namespaces");
    auto [cluster, node] = resolve_node_reference(opts->node);
    if (shard::across_record(cluster)) {
      try {
        shard::exec_across(cluster, node, opts->command);
      } catch (const shard::ShardFailure& e) {
        fail_as("not_found", e.what());
      }
    }
    exec_here(cluster, node, opts->command);
  });
}

}  // namespace scalelab::cli
