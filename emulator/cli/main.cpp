#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/cmd_vm.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/error_report.h"
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
    return print_error({"not_permitted", "", "", std::string("--rootless: ") + e.what(), fix_of(e.what()), "", "", 1});
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
  add_shard_command(app);
  add_vm_command(app);
  add_doctor_command(app);
  add_clean_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help, --version and a verb's own exit status (CLI::RuntimeError) are not usage errors.
    if (!json_errors_requested() || e.get_exit_code() == 0 || e.get_name() == "RuntimeError") return app.exit(e);
    return print_error({"usage", "", "", e.what(), "see `scalelab --help`", "", "", e.get_exit_code()});
  } catch (const CliFailure& f) {
    return print_error(f.report);
  } catch (const scalelab::scenario::ScenarioError& e) {
    auto report = located_error("scenario", e.what());
    report.trailer = "nothing was started.";
    return print_error(report);
  } catch (const scalelab::job::JobError& e) {
    return print_error({"job", e.source(), e.json_pointer(), e.message(), fix_of(e.message()), "nothing was started.", e.what(), 1});
  } catch (const scalelab::model::TopologyError& e) {
    return print_error({"topology", e.source(), e.json_pointer(), e.message(), fix_of(e.message()), "nothing was created.", e.what(), 1});
  } catch (const std::exception& e) {
    return print_error({"error", "", "", e.what(), fix_of(e.what()), "", "", 1});
  }
  return 0;
}
