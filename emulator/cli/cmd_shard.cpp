// `scalelab shard …`: what the operator's scalelab runs on each machine of a cluster across
// machines, over ssh, with JSON on stdout. Users run `up --machines` and `down`, not these.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/realize.h"
#include "emulator/shard/partition.h"
#include "emulator/shard/shard_spec.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

void add_shard_command(CLI::App& app) {
  auto* shard = app.add_subcommand("shard", "A machine's part of a cluster across machines (run by `up --machines` over ssh; JSON out)");
  shard->require_subcommand(1);

  auto* up = shard->add_subcommand("up", "Bring up this machine's shard from the spec on stdin");
  up->callback([] {
    require_root("shard up", "creates network namespaces");
    const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    auto spec = shard::spec_from_json(text, "<stdin>");
    auto topology = model::parse_topology(spec.topology.dump(), "<shard spec>#/topology");
    auto plan = plan::build_plan(topology);
    auto cut = shard::partition(plan, shard::machine_names(spec.machines));
    auto placement = shard::placement(plan, cut, spec.machines, spec.self, spec.vni_base);
    runtime::RealizeOptions options;
    options.shard = &placement;
    runtime::RealizeReport report;
    try {
      report = runtime::realize(plan, options);
    } catch (const runtime::ClusterExists& e) {
      fail_as("cluster_exists", spec.machines.list[static_cast<std::size_t>(spec.self)].name + ": " + e.what());
    }
    fmt::print("{}\n", nlohmann::json{{"machine", placement.machine}, {"cluster", plan.cluster}, {"namespaces", report.namespaces},
                                      {"veth_pairs", report.veths}, {"vxlan_links", placement.cross.size()}, {"qdiscs", report.qdiscs},
                                      {"routes", report.routes}, {"seconds", report.seconds}, {"warnings", report.warnings}}
                           .dump());
  });

  auto exec_args = std::make_shared<std::pair<std::string, std::vector<std::string>>>();
  auto* exec = shard->add_subcommand("exec", "Run a command in a node of this machine's shard: shard exec CLUSTER/NODE -- CMD…");
  exec->add_option("node", exec_args->first, "CLUSTER/NODE")->required();
  exec->add_option("command", exec_args->second, "the command (after --)")->required();
  exec->callback([exec_args] {
    require_root("shard exec", "enters network namespaces");
    auto slash = exec_args->first.find('/');
    if (slash == std::string::npos) fail("shard exec takes CLUSTER/NODE, got \"" + exec_args->first + "\"");
    exec_here(exec_args->first.substr(0, slash), exec_args->first.substr(slash + 1), exec_args->second);
  });

  auto name = std::make_shared<std::string>();
  auto* down = shard->add_subcommand("down", "Take this machine's shard down (as `down NAME --json`)");
  down->add_option("cluster", *name, "cluster name")->required();
  down->callback([name] {
    require_root("shard down", "removes network namespaces");
    auto report = scalelab::down(*name);
    fmt::print("{}\n", down_json_line(*name, report.found, report.namespaces_removed, report.processes_stopped));
  });
}

}  // namespace scalelab::cli
