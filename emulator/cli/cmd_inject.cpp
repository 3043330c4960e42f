#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/units.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

void add_inject_command(CLI::App& app) {
  struct Options {
    std::string cluster, action, target, rate, delay, jitter, loss, converge_after = "0us";
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("inject", "Apply one fault to a live cluster by hand (figures in real-hardware units, dilated like the topology)");
  cmd->add_option("cluster", opts->cluster, "cluster name")->required();
  cmd->add_option("action", opts->action, "link_down link_up nic_down nic_up degrade restore partition heal reconverge")
      ->required()
      ->check(CLI::IsMember({"link_down", "link_up", "nic_down", "nic_up", "degrade", "restore", "partition", "heal", "reconverge"}));
  cmd->add_option("target", opts->target,
                  "link:A-B, GPU:IFNAME, rail:R, railR:hostH, host:H, rank:N, tier:T, switch:NAME, NAME; "
                  "for partition: SIDE_A/SIDE_B, each a comma list of GPU selectors");
  cmd->add_option("--rate", opts->rate, "degrade: new rate, e.g. 100Gb/s");
  cmd->add_option("--delay", opts->delay, "degrade: one-way delay, e.g. 50us (needs netem)");
  cmd->add_option("--jitter", opts->jitter, "degrade: jitter (needs netem)");
  cmd->add_option("--loss", opts->loss, "degrade: loss, e.g. 1% (needs netem)");
  cmd->add_option("--converge-after", opts->converge_after, "link/nic faults: reroute around them after this long (real time), as BGP would");
  cmd->add_flag("--json", opts->json, "print what changed as JSON");
  cmd->callback([opts] {
    require_root("inject", "changes kernel state in the cluster's namespaces");
    const std::string& action = opts->action;
    FaultReport report;
    try {
      report = Cluster::attach(opts->cluster).inject({action, opts->target, opts->rate, opts->delay, opts->jitter, opts->loss, opts->converge_after});
    } catch (const FaultError& e) {
      fail_as("fault", e.what());
    }
    if (opts->json) {
      nlohmann::json j = {{"cluster", opts->cluster}, {"action", action}, {"target", opts->target}, {"links", report.links},
                          {"nics", report.nics},      {"rxe", report.rxe},  {"side_a", report.side_a}, {"side_b", report.side_b}};
      j["rerouted"] = report.rerouted ? nlohmann::json(*report.rerouted) : nlohmann::json(nullptr);
      j["rate_bps"] = report.rate_bps ? nlohmann::json(*report.rate_bps) : nlohmann::json(nullptr);
      return fmt::print("{}\n", j.dump(2));
    }
    if (action == "link_down" || action == "link_up") {
      for (const auto& link : report.links) fmt::print("{} {}\n", action, link);
    } else if (action == "nic_down" || action == "nic_up") {
      for (const auto& nic : report.nics) fmt::print("{} {}{}\n", action, nic, report.rxe ? " (and its rxe device)" : "");
    } else if (action == "degrade") {
      fmt::print("degraded {} links{}\n", report.links.size(), report.rate_bps ? " to " + model::format_bandwidth(*report.rate_bps) + " emulated" : "");
    } else if (action == "restore") {
      fmt::print("restored {} links to their planned shaping\n", report.links.size());
    } else if (action == "partition") {
      fmt::print("partitioned {} GPUs from {} GPUs\n", report.side_a, report.side_b);
    } else if (action == "heal") {
      fmt::print("healed every partition\n");
    }
    if (report.rerouted) fmt::print("rerouted: {} routes changed\n", *report.rerouted);
  });
}

}  // namespace scalelab::cli
