#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/cli/inject_args.h"
#include "emulator/shard/operator.h"
#include "emulator/model/units.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

std::shared_ptr<InjectArgs> add_inject_arguments(CLI::App* cmd) {
  auto opts = std::make_shared<InjectArgs>();
  cmd->add_option("cluster", opts->cluster, "cluster name")->required();
  cmd->add_option("action", opts->action, "link_down link_up nic_down nic_up degrade restore partition heal reconverge")
      ->required()
      ->check(CLI::IsMember({"link_down", "link_up", "nic_down", "nic_up", "degrade", "restore", "partition", "heal", "reconverge"}));
  cmd->add_option("target", opts->target,
                  "link:A-B, GPU:IFNAME, rail:R, railR:hostH, host:H, rank:N, spine:S, tier:T, switch:NAME, NAME; "
                  "for partition: SIDE_A/SIDE_B, each a comma list of GPU selectors");
  cmd->add_option("--rate", opts->rate, "degrade: new rate, e.g. 100Gb/s");
  cmd->add_option("--delay", opts->delay, "degrade: one-way delay, e.g. 50us (needs netem)");
  cmd->add_option("--jitter", opts->jitter, "degrade: jitter (needs netem)");
  cmd->add_option("--loss", opts->loss, "degrade: loss, e.g. 1% (needs netem)");
  cmd->add_option("--converge-after", opts->converge_after, "link/nic faults: reroute around them after this long (real time), as BGP would");
  cmd->add_flag("--json", opts->json, "print what changed as JSON");
  return opts;
}

std::vector<std::string> InjectArgs::as_arguments() const {
  std::vector<std::string> out{cluster, action};
  if (!target.empty()) out.push_back(target);
  for (const auto& [flag, value] : {std::pair{"--rate", &rate}, {"--delay", &delay}, {"--jitter", &jitter}, {"--loss", &loss}})
    if (!value->empty()) out.insert(out.end(), {flag, *value});
  if (converge_after != "0us") out.insert(out.end(), {"--converge-after", converge_after});
  return out;
}

void inject_here(const InjectArgs& opts) {
  require_root("inject", "changes kernel state in the cluster's namespaces");
  const std::string& action = opts.action;
  FaultReport report;
  try {
    report = Cluster::attach(opts.cluster).inject({action, opts.target, opts.rate, opts.delay, opts.jitter, opts.loss, opts.converge_after});
  } catch (const FaultError& e) {
    fail_as("fault", e.what());
  }
  if (opts.json) return fmt::print("{}\n", fault_report_json(opts, report).dump(2));
  print_fault_report(action, report);
}

nlohmann::json fault_report_json(const InjectArgs& opts, const FaultReport& report) {
  nlohmann::json j = {{"cluster", opts.cluster}, {"action", opts.action}, {"target", opts.target}, {"links", report.links},
                      {"nics", report.nics},     {"rxe", report.rxe},       {"side_a", report.side_a}, {"side_b", report.side_b}};
  j["rerouted"] = report.rerouted ? nlohmann::json(*report.rerouted) : nlohmann::json(nullptr);
  j["rate_bps"] = report.rate_bps ? nlohmann::json(*report.rate_bps) : nlohmann::json(nullptr);
  return j;
}

void print_fault_report(const std::string& action, const FaultReport& report) {
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
}

namespace {

FaultReport report_from_json(const nlohmann::json& j) {
  FaultReport r;
  r.links = j.value("links", std::vector<std::string>{});
  r.nics = j.value("nics", std::vector<std::string>{});
  r.rxe = j.value("rxe", false);
  if (j.contains("rerouted") && j["rerouted"].is_number()) r.rerouted = j["rerouted"].get<std::size_t>();
  if (j.contains("rate_bps") && j["rate_bps"].is_number()) r.rate_bps = j["rate_bps"].get<std::uint64_t>();
  r.side_a = j.value("side_a", std::size_t{0});
  r.side_b = j.value("side_b", std::size_t{0});
  return r;
}

// Every machine applies the fault to the ends it holds and records it whole, so each knows what
// is in force; a cut link goes down on both machines at once.
void inject_across(const InjectArgs& opts) {
  auto record = shard::across_record(opts.cluster);
  std::vector<std::string> args{"shard", "inject"};
  const auto rest = opts.as_arguments();
  args.insert(args.end(), rest.begin(), rest.end());
  args.push_back("--json");
  const auto results = shard::run_on_every(*record, args, std::chrono::seconds(120));
  std::string failures;
  std::optional<FaultReport> merged;
  nlohmann::json machines = nlohmann::json::array();
  for (const auto& r : results) {
    if (!r.ok()) {
      failures += (failures.empty() ? "" : "; ") + r.describe();
      continue;
    }
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    if (j.is_discarded()) {
      failures += (failures.empty() ? "" : "; ") + r.machine + " answered no JSON: " + r.out.substr(0, 200);
      continue;
    }
    auto report = report_from_json(j);
    machines.push_back({{"machine", r.machine}, {"rerouted", j["rerouted"]}});
    if (!merged) {
      merged = report;
    } else if (report.rerouted) {
      merged->rerouted = merged->rerouted.value_or(0) + *report.rerouted;  // each machine reroutes its own nodes
    }
  }
  if (!failures.empty()) {
    std::string again = "scalelab inject";
    for (const auto& a : opts.as_arguments()) again += " " + a;
    // Every action sets kernel state (link up/down, a rate, blackhole routes added with replace),
    // so repeating it leaves the machines that already hold it as they are.
    fail_as("shard", fmt::format("{} {} did not apply on every machine: {}. The machines that answered hold it; run `{}` again once "
                                 "every machine answers",
                                 opts.action, opts.target, failures, again));
  }
  if (opts.json) {
    auto j = fault_report_json(opts, *merged);
    j["machines"] = machines;
    return fmt::print("{}\n", j.dump(2));
  }
  print_fault_report(opts.action, *merged);
}

}  // namespace

void add_inject_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inject", "Apply one fault to a live cluster by hand (figures in real-hardware units, dilated like the topology)");
  auto opts = add_inject_arguments(cmd);
  cmd->callback([opts] {
    if (shard::across_record(opts->cluster)) return inject_across(*opts);
    inject_here(*opts);
  });
}

}  // namespace scalelab::cli
