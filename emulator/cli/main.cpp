#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/cmd_vm.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/rootless_mode.h"
#include "emulator/job/job_spec.h"
#include "emulator/model/topology.h"
#include "emulator/scenario/scenario.h"

int main(int argc, char** argv) {
  CLI::App app{"scalelab — an AI GPU cluster (scale-up domains, rails, leaves, spines) emulated on one Linux machine"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "scalelab 0.1.0");
  using namespace scalelab::cli;
  // Joining a user namespace needs a single-threaded process: before anything starts threads.
  std::unique_ptr<RootlessMode> rootless;
  try {
    rootless = RootlessMode::from_command_line(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "scalelab: --rootless: {}\n", e.what());
    return 1;
  }
  bool rootless_flag = false;  // acted on above, before parsing
  app.add_flag("--rootless", rootless_flag,
               "work as a normal user: the cluster lives in a user namespace of yours, its state under "
               "$XDG_RUNTIME_DIR/scalelab (also SCALELAB_ROOTLESS=1)");
  // So that `scalelab up --rootless …` works as well as `scalelab --rootless up …`.
  app.fallthrough();
  add_up_command(app);
  add_down_command(app);
  add_status_command(app);
  add_exec_command(app);
  add_plan_command(app);
  add_run_command(app);
  add_bench_command(app);
  add_inject_command(app);
  add_run_scenario_command(app);
  add_job_command(app);
  add_model_command(app);
  add_graph_command(app);
  add_vm_command(app);
  add_doctor_command(app);
  add_clean_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const CliFailure& f) {
    fmt::print(stderr, "scalelab: {}\n", f.message);
    return f.status;
  } catch (const scalelab::scenario::ScenarioError& e) {
    fmt::print(stderr, "scalelab: {}\nnothing was started.\n", e.what());
    return 1;
  } catch (const scalelab::job::JobError& e) {
    fmt::print(stderr, "scalelab: {}\nnothing was started.\n", e.what());
    return 1;
  } catch (const scalelab::model::TopologyError& e) {
    fmt::print(stderr, "scalelab: {}\nnothing was created.\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "scalelab: {}\n", e.what());
    return 1;
  }
  return 0;
}
