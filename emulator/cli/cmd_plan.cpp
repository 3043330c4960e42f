#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/topology.h"
#include "emulator/model/topology_json.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/plan_json.h"
#include "emulator/shard/machines.h"
#include "emulator/shard/partition.h"
#include "emulator/shard/partition_report.h"

namespace scalelab::cli {

void add_plan_command(CLI::App& app) {
  struct Options {
    std::string file, machines;
    double dilation = 0;
    bool json = false, explicit_form = false, verbose = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("plan", "Show what `up` would create for a topology; touches nothing");
  cmd->add_option("topology", opts->file, "topology JSON")->required()->check(CLI::ExistingFile);
  cmd->add_option("--dilation", opts->dilation, "override the file's dilation")->check(CLI::Range(1.0, 1e12));
  cmd->add_flag("--json", opts->json, "the full plan as JSON");
  cmd->add_flag("--explicit", opts->explicit_form, "print the topology expanded to the explicit nodes/links form");
  cmd->add_flag("--verbose,-v", opts->verbose, "every namespace, not the first few GPUs");
  cmd->add_option("--machines", opts->machines,
                  "print the cut across N machines (or user@host,user@host,…) and each machine's load instead of the plan");
  cmd->callback([opts] {
    auto topology = model::load_topology(opts->file);
    if (opts->explicit_form) return fmt::print("{}\n", model::topology_to_json(topology).dump(2));
    auto plan = plan::build_plan(topology, opts->dilation);
    if (!opts->machines.empty()) {
      shard::Partition cut;
      try {
        const bool file = std::filesystem::is_regular_file(opts->machines);
        cut = shard::partition(plan, file ? shard::machine_names(shard::load_machines(opts->machines)) : shard::machine_names(opts->machines));
      } catch (const shard::PartitionError& e) {
        fail_as("partition", e.what());
      } catch (const shard::MachinesError& e) {
        fail_located("machines", e.source(), e.json_pointer(), e.message(), "nothing was planned.");
      }
      if (opts->json) return fmt::print("{}\n", shard::partition_to_json(plan, cut).dump(2));
      return fmt::print("{}", shard::partition_to_text(plan, cut, opts->verbose));
    }
    if (opts->json)
      fmt::print("{}\n", plan::plan_to_json(plan).dump(2));
    else
      fmt::print("{}", plan::plan_to_text(plan, opts->verbose));
  });
}

}  // namespace scalelab::cli
