// scalelab-vm-dev: the `vm` subcommand alone, for tests and development. Same code as `scalelab vm`.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "emulator/cli/cmd_vm.h"
#include "emulator/vm/vm_run.h"

int main(int argc, char** argv) {
  CLI::App app{"scalelab-vm-dev — runs `scalelab vm` alone"};
  app.require_subcommand(1);
  scalelab::cli::add_vm_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    fmt::print(stderr, "scalelab vm: {}\n", e.what());
    return scalelab::vm::kStatusVmFailure;
  }
  return 0;
}
