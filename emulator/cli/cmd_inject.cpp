#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <thread>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/units.h"
#include "emulator/plan/shaping.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/runtime/targets.h"

namespace scalelab::cli {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t pos; (pos = text.find(sep, start)) != std::string::npos; start = pos + 1) out.push_back(text.substr(start, pos - start));
  out.push_back(text.substr(start));
  return out;
}

std::vector<std::string> gpus_of(const plan::Plan& plan, const std::string& side) {
  std::vector<std::string> out;
  for (const auto& selector : split(side, ',')) {
    auto g = runtime::resolve_gpus(plan, selector);
    out.insert(out.end(), g.begin(), g.end());
  }
  return out;
}

}  // namespace

void add_inject_command(CLI::App& app) {
  struct Options {
    std::string cluster, action, target, rate, delay, jitter, loss, converge_after = "0us";
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
  cmd->callback([opts] {
    if (geteuid() != 0) fail("`inject` changes kernel state in the cluster's namespaces and needs root (sudo)");
    auto cluster = runtime::LiveCluster::open(opts->cluster);
    const auto& plan = cluster.plan();
    const std::string& action = opts->action;
    bool needs_target = action != "heal" && action != "reconverge";
    if (needs_target && opts->target.empty()) fail("`" + action + "` needs a target, e.g. rail3:host1 or link:gpu0-leaf0");
    auto converge = [&] {
      auto wait = std::chrono::nanoseconds(model::parse_duration_ns(opts->converge_after));
      std::this_thread::sleep_for(wait);
      fmt::print("rerouted: {} routes changed\n", cluster.reconverge());
    };
    try {
      if (action == "link_down" || action == "link_up") {
        auto links = runtime::resolve_links(plan, opts->target);
        cluster.set_links(links, action == "link_up");
        for (int l : links) fmt::print("{} {}-{}\n", action, plan.topology.links[l].a, plan.topology.links[l].b);
        converge();
      } else if (action == "nic_down" || action == "nic_up") {
        for (auto [gpu, ifname] : runtime::resolve_nics(plan, opts->target)) {
          cluster.set_nic(gpu, ifname, action == "nic_up");
          fmt::print("{} {}:{}{}\n", action, gpu, ifname, cluster.rxe_enabled() ? " (and its rxe device)" : "");
        }
        converge();
      } else if (action == "degrade") {
        runtime::LinkDegradation change;
        if (!opts->rate.empty()) change.rate_bps = plan::dilate_rate(model::parse_bandwidth_bps(opts->rate), plan.dilation);
        if (!opts->delay.empty()) change.delay_ns = plan::dilate_time(model::parse_duration_ns(opts->delay), plan.dilation);
        if (!opts->jitter.empty()) change.jitter_ns = plan::dilate_time(model::parse_duration_ns(opts->jitter), plan.dilation);
        if (!opts->loss.empty()) change.loss = model::parse_percent(opts->loss);
        if (!change.rate_bps && !change.delay_ns && !change.jitter_ns && !change.loss) fail("degrade needs --rate, --delay, --jitter or --loss");
        auto links = runtime::resolve_links(plan, opts->target);
        cluster.degrade(links, change);
        fmt::print("degraded {} links{}\n", links.size(),
                   change.rate_bps ? " to " + model::format_bandwidth(*change.rate_bps) + " emulated" : "");
      } else if (action == "restore") {
        auto links = runtime::resolve_links(plan, opts->target);
        cluster.restore(links);
        fmt::print("restored {} links to their planned shaping\n", links.size());
      } else if (action == "partition") {
        auto sides = split(opts->target, '/');
        if (sides.size() != 2) fail("partition takes SIDE_A/SIDE_B, e.g. host:0/host:1");
        auto a = gpus_of(plan, sides[0]), b = gpus_of(plan, sides[1]);
        cluster.partition(a, b);
        fmt::print("partitioned {} GPUs from {} GPUs\n", a.size(), b.size());
      } else if (action == "heal") {
        cluster.heal();
        fmt::print("healed every partition\n");
      } else {
        converge();
      }
    } catch (const runtime::TargetError& e) {
      fail(e.what());
    } catch (const model::UnitError& e) {
      fail(e.what());
    }
  });
}

}  // namespace scalelab::cli
