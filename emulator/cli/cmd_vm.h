#pragma once
// `scalelab vm [--kernel VERSION|auto|FILE.deb] [--cpus N] [--mem MB] [--share DIR]... -- CMD...`
namespace CLI {
class App;
}

namespace scalelab::cli {

// Registers the "vm" subcommand. Its callback ends the program with the command's exit status
// by throwing CLI::RuntimeError(status) when that is not 0 (CLI::App::exit prints nothing for
// it), so `catch (const CLI::ParseError& e) { return app.exit(e); }` in main passes it on.
void add_vm_command(CLI::App& app);

}  // namespace scalelab::cli
