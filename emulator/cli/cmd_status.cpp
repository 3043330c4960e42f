#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

void add_status_command(CLI::App& app) {
  struct Options {
    std::string cluster;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("status", "Show clusters, or one cluster's nodes, interfaces, addresses, rates and counters");
  cmd->add_option("cluster", opts->cluster, "cluster name (default: all clusters; the only one when one is up)");
  cmd->add_flag("--json", opts->json, "machine-readable output");
  cmd->callback([opts] {
    if (opts->cluster.empty()) {
      auto all = scalelab::clusters();
      if (all.size() == 1) {
        opts->cluster = all[0]["cluster"];
      } else {
        if (opts->json) return fmt::print("{}\n", all.dump(2));
        if (all.empty()) return fmt::print("no cluster is up\n");
        for (const auto& c : all)
          fmt::print("{:<16} {:<9} {:>5} namespaces  {}\n", c["cluster"].get<std::string>(), c["state"].get<std::string>(),
                     c["namespaces"].get<std::size_t>(), c["source"].get<std::string>());
        return;
      }
    }
    nlohmann::json status;
    try {
      status = Cluster::attach(opts->cluster).status();
    } catch (const NotFound& e) {
      fail_as("not_found", e.what());
    } catch (const scalelab::Error& e) {
      fail(e.what());
    }
    if (opts->json)
      fmt::print("{}\n", status.dump(2));
    else
      fmt::print("{}", scalelab::status_text(status));
  });
}

}  // namespace scalelab::cli
