// `down` and `clean`: the two ways to remove clusters.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/rootless_mode.h"
#include "emulator/runtime/teardown.h"
#include "emulator/shard/operator.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

std::string down_json_line(const std::string& cluster, bool found, std::size_t namespaces_removed, std::size_t processes_stopped) {
  return nlohmann::json{{"cluster", cluster}, {"found", found}, {"namespaces_removed", namespaces_removed}, {"processes_stopped", processes_stopped}}
      .dump();
}

void add_down_command(CLI::App& app) {
  auto name = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  auto* cmd = app.add_subcommand("down", "Remove a cluster: its namespaces, links, qdiscs and processes");
  cmd->add_option("cluster", *name, "cluster name(s)")->required();
  cmd->add_flag("--json", *json, "print one JSON object per cluster: found, namespaces_removed, processes_stopped");
  cmd->callback([name, json] {
    require_root("down", "removes network namespaces");
    bool incomplete = false;
    for (const auto& cluster : *name) {
      if (shard::across_record(cluster)) {
        auto across = shard::down_across(cluster);
        for (const auto& m : across.machines)
          if (!m.ok()) fmt::print(stderr, "scalelab: {}\n", m.describe());
        if (*json)
          fmt::print("{}\n", nlohmann::json{{"cluster", cluster}, {"found", true}, {"namespaces_removed", across.namespaces_removed},
                                            {"machines", across.machines.size()}, {"complete", across.complete()}}.dump());
        else
          fmt::print("cluster {} down on {} machines: {} namespaces removed{}\n", cluster, across.machines.size(), across.namespaces_removed,
                     across.complete() ? "" : fmt::format("; run `scalelab down {}` again once every machine answers, or `scalelab clean` on it", cluster));
        incomplete |= !across.complete();
        continue;
      }
      auto report = scalelab::down(cluster);
      if (*json)
        fmt::print("{}\n", down_json_line(cluster, report.found, report.namespaces_removed, report.processes_stopped));
      else if (!report.found)
        fmt::print("cluster {} is not up (nothing to do)\n", cluster);
      else
        fmt::print("cluster {} down: {} namespaces removed, {} processes stopped\n", cluster, report.namespaces_removed,
                   report.processes_stopped);
    }
    if (incomplete) fail_as("shard", "some machines could not be reached; their shards are still up", 1);
  });
}

void add_clean_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("clean", "Remove every scalelab cluster and stray sl- namespace on this machine (after a crash too)");
  cmd->callback([] {
    require_root("clean", "removes network namespaces");
    // Clusters across machines this machine operates: each machine's shard is taken down over
    // ssh; a record whose machines do not all answer stays, and is named.
    for (const auto& cluster : shard::clusters_across()) {
      auto across = shard::down_across(cluster);
      if (across.complete()) {
        fmt::print("clean: cluster {} down on {} machines\n", cluster, across.machines.size());
        continue;
      }
      for (const auto& m : across.machines)
        if (!m.ok()) fmt::print(stderr, "clean: cluster {}: {}\n", cluster, m.describe());
      fmt::print(stderr, "clean: cluster {} is still up on the machines above: run `scalelab clean` there, or `scalelab down {}` here once they answer\n",
                 cluster, cluster);
    }
    auto report = runtime::clean();
    std::size_t stopped = report.stopped_pids.size();
    // Rootless: the session's holder goes too, with anything left running in its user namespace.
    if (auto* rootless = RootlessMode::current()) stopped += rootless->end_session();
    fmt::print("clean: {} namespaces removed, {} processes stopped\n", report.removed_namespaces.size(), stopped);
  });
}

}  // namespace scalelab::cli
