// `scalelab shard …`: what the operator's scalelab runs on each machine of a cluster across
// machines, over ssh, with JSON on stdout. Users run `up --machines` and `down`, not these.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>

#include <iostream>
#include <iterator>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/inject_args.h"
#include "emulator/cli/shard_ranks.h"
#include "emulator/process/agent_binary.h"
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

  struct RanksArgs {
    std::string cluster, collective;
    std::vector<std::string> command;
    double timeout_s = 0;
  };
  auto run_args = std::make_shared<RanksArgs>();
  auto* run = shard->add_subcommand("run", "Run a command once per GPU of this machine's shard, streaming JSON lines: shard run CLUSTER -- CMD…");
  run->add_option("cluster", run_args->cluster, "cluster name")->required();
  run->add_option("command", run_args->command, "the command (after --; $RANK etc. expanded)")->required();
  run->add_option("--timeout", run_args->timeout_s, "end every rank after this many seconds (0 = no limit)")->check(CLI::NonNegativeNumber);
  run->callback([run_args] {
    require_root("shard run", "enters network namespaces");
    std::exit(stream_shard_ranks(run_args->cluster, run_args->command, run_args->timeout_s, ""));
  });

  auto bench_args = std::make_shared<RanksArgs>();
  auto* bench = shard->add_subcommand("bench", "This machine's ranks of `bench` across machines: shard bench CLUSTER COLLECTIVE -- AGENT FLAGS…");
  bench->add_option("cluster", bench_args->cluster, "cluster name")->required();
  bench->add_option("collective", bench_args->collective, "as `bench` takes it")->required();
  bench->add_option("flags", bench_args->command, "the agents' flags (after --)");
  bench->add_option("--timeout", bench_args->timeout_s, "end every rank after this many seconds (0 = no limit)")->check(CLI::NonNegativeNumber);
  bench->callback([bench_args] {
    require_root("shard bench", "enters network namespaces");
    auto dir = runtime::ClusterDir::open(bench_args->cluster);
    if (!dir) fail_as("not_found", "no cluster named \"" + bench_args->cluster + "\" is up on this machine");
    // Rank 0 writes its rows here when it runs on this machine; they go back in the summary.
    const auto json = dir->path(fmt::format("bench-shard-{}.json", getpid()));
    std::vector<std::string> argv{process::agent_binary(), bench_args->collective};
    argv.insert(argv.end(), bench_args->command.begin(), bench_args->command.end());
    argv.insert(argv.end(), {"--json", json});
    std::exit(stream_shard_ranks(bench_args->cluster, argv, bench_args->timeout_s, json));
  });

  auto* inject = shard->add_subcommand("inject", "Apply a fault to the ends this machine holds, and record it (as `inject`)");
  auto inject_args = add_inject_arguments(inject);
  inject->callback([inject_args] { inject_here(*inject_args); });

  auto status_name = std::make_shared<std::string>();
  auto* status = shard->add_subcommand("status", "This machine's nodes of a cluster, as `status NAME --json`");
  status->add_option("cluster", *status_name, "cluster name")->required();
  status->callback([status_name] {
    try {
      fmt::print("{}\n", Cluster::attach(*status_name).status().dump());
    } catch (const NotFound& e) {
      fail_as("not_found", e.what());
    }
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
