#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/scenario/engine.h"

namespace scalelab::cli {

void add_run_scenario_command(CLI::App& app) {
  struct Options {
    std::string file, report, name;
    bool keep = false, verbose = false, check = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run-scenario", "Run a failure drill: cluster up, workload, faults on schedule, expectations judged, report written, cluster down");
  cmd->add_option("scenario", opts->file, "scenario JSON")->required()->check(CLI::ExistingFile);
  cmd->add_option("--report", opts->report, "report directory (default: out/<scenario name>)");
  cmd->add_option("--name", opts->name, "name the cluster instead of the topology's \"name\" ([a-z0-9][a-z0-9-]{0,23})");
  cmd->add_flag("--keep", opts->keep, "leave the cluster up afterwards (scalelab down NAME removes it)");
  cmd->add_flag("--verbose,-v", opts->verbose, "stream the workload's output");
  cmd->add_flag("--check", opts->check, "only validate the scenario and its targets against its topology; touch nothing (no root needed)");
  cmd->callback([opts] {
    auto scenario = scenario::load_scenario(opts->file);
    if (opts->check) {
      scenario::check_scenario(scenario);
      fmt::print("{}: {} steps, {} expectations — valid against its topology (this kernel is checked when the drill runs)\n",
                 opts->file, scenario.steps.size(), scenario.expectations.size());
      return;
    }
    require_root("run-scenario", "builds a cluster");
    if (opts->report.empty()) opts->report = "out/" + scenario.name;
    scenario::RunResult result;
    try {
      scenario::RunOptions run{opts->report, opts->keep, opts->verbose, std::nullopt};
      if (!opts->name.empty()) run.cluster_name = opts->name;
      result = scenario::run_scenario(scenario, run);
    } catch (const runtime::ClusterExists& e) {
      fail_as("cluster_exists", e.what());
    }
    fmt::print("scenario {} on cluster {}\n{}", scenario.name, result.cluster, scenario::verdict_table(result));
    fmt::print("report: {}/ (events.jsonl, verdict.json, trace.json, report.html, agents.log)\n", opts->report);
    if (result.interrupted) fail_as("scenario_run", "interrupted; the cluster and the workload were removed", 130);
    if (!result.passed) fail_as("scenario_run", "at least one expectation failed", 1);
  });
}

}  // namespace scalelab::cli
