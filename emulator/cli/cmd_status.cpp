#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/shard/operator.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

namespace {

// One view of a cluster across machines: each machine reports the nodes it holds, and the
// operator joins them, each node marked with its machine.
void status_across(const std::string& cluster, bool json) {
  auto record = shard::across_record(cluster);
  const auto results = shard::run_on_every(*record, {"shard", "status", cluster}, std::chrono::seconds(60));
  nlohmann::json machines = nlohmann::json::array(), nodes = nlohmann::json::array(), warnings = nlohmann::json::array();
  std::size_t missing = 0, down = 0;
  nlohmann::json first;
  for (const auto& r : results) {
    auto j = r.ok() ? nlohmann::json::parse(r.out, nullptr, false) : nlohmann::json(nlohmann::json::value_t::discarded);
    if (j.is_discarded()) {
      machines.push_back({{"machine", r.machine}, {"reachable", false}, {"error", r.describe()}});
      continue;
    }
    if (first.is_null()) first = j;
    machines.push_back({{"machine", r.machine}, {"reachable", true}, {"state", j["state"]}, {"namespaces", j["nodes"].size()},
                        {"missing_namespaces", j["missing_namespaces"]}, {"interfaces_down", j["interfaces_down"]}});
    missing += j["missing_namespaces"].get<std::size_t>();
    down += j["interfaces_down"].get<std::size_t>();
    for (auto& node : j["nodes"]) {
      node["machine"] = j.value("machine", r.machine);
      nodes.push_back(std::move(node));
    }
    for (const auto& w : j["warnings"]) warnings.push_back(r.machine + ": " + w.get<std::string>());
  }
  if (first.is_null()) fail_as("shard", fmt::format("no machine of cluster {} answered: {}", cluster, machines.dump()));
  nlohmann::json status = {{"cluster", cluster}, {"state", first["state"]}, {"pid", (*record).value("pid", 0)}, {"started", first["started"]},
                           {"source", first["source"]}, {"dilation", first["dilation"]}, {"netem", first["netem"]}, {"warnings", warnings},
                           {"missing_namespaces", missing}, {"interfaces_down", down}, {"machines", machines}, {"nodes", nodes}};
  bool all_reachable = true;
  for (const auto& m : machines) all_reachable &= m["reachable"].get<bool>();
  if (json) {
    fmt::print("{}\n", status.dump(2));
  } else {
    for (const auto& m : machines)
      fmt::print("machine {}: {}\n", m["machine"].get<std::string>(),
                 m["reachable"].get<bool>() ? fmt::format("{} namespaces, {} missing, {} interfaces down", m["namespaces"].get<std::size_t>(),
                                                          m["missing_namespaces"].get<std::size_t>(), m["interfaces_down"].get<std::size_t>())
                                            : m["error"].get<std::string>());
    fmt::print("{}", scalelab::status_text(status));
  }
  if (!all_reachable) fail_as("shard", "some machines of " + cluster + " did not answer (listed above)");
}

}  // namespace

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
      for (const auto& name : shard::clusters_across())
        if (auto record = shard::across_record(name))
          all.push_back({{"cluster", name}, {"state", record->value("state", "unknown") + " across " + std::to_string((*record)["machines"].size()) + " machines"},
                         {"namespaces", record->value("namespaces", std::size_t{0})}, {"source", (*record)["topology"].value("name", name)}});
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
    if (shard::across_record(opts->cluster)) return status_across(opts->cluster, opts->json);
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
