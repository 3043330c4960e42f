#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/topology_validation.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/shard/operator.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {
namespace {

template <class Options>
void up_across_machines(const Options& opts) {
  if (opts.dilation == "auto") fail("--dilation auto measures this machine's veth: across machines give a number (--dilation 1000)");
  auto topology = model::load_topology(opts.file);
  if (!opts.name.empty()) topology.name = opts.name;
  if (!opts.dilation.empty()) {
    UpOptions parsed;
    set_dilation(parsed, opts.dilation);
    topology.dilation = *parsed.dilation, topology.dilation_auto = false;
  }
  model::validate_topology(topology);
  shard::UpAcross up;
  try {
    up = shard::up_across(topology, shard::load_machines(opts.machines), std::chrono::seconds(300));
  } catch (const shard::MachinesError& e) {
    fail_located("machines", e.source(), e.json_pointer(), e.message(), "nothing was created.");
  } catch (const shard::PartitionError& e) {
    fail_as("partition", e.what());
  } catch (const runtime::ClusterExists& e) {
    fail_as("cluster_exists", e.what());
  } catch (const shard::ShardFailure& e) {
    fail_as("shard", e.what());
  }
  if (opts.json) {
    fmt::print("{}\n", nlohmann::json{{"cluster", up.cluster}, {"seconds", up.seconds}, {"machines", up.shards},
                                      {"cross_links", up.cut.cross.size()}}.dump(2));
    return;
  }
  fmt::print("cluster {} up across {} machines in {:.3f} s: {} links cross machines over VXLAN\n", up.cluster, up.shards.size(), up.seconds,
             up.cut.cross.size());
  for (const auto& s : up.shards)
    fmt::print("  {:<16} {} namespaces, {} veth pairs, {} VXLAN links, {:.3f} s\n", s.value("machine", "?"), s.value("namespaces", 0),
               s.value("veth_pairs", 0), s.value("vxlan_links", 0), s.value("seconds", 0.0));
  fmt::print("  next: scalelab exec {}/gpu0 -- ip -br addr | scalelab down {}\n", up.cluster, up.cluster);
}

}  // namespace

void add_up_command(CLI::App& app) {
  struct Options {
    std::string file, dilation, name, machines;
    bool require_netem = false, json = false, timings = false;
    std::size_t workers = 4;
    std::string rxe = "auto";
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("up", "Bring a cluster up from a topology file");
  cmd->add_option("topology", opts->file, "topology JSON (compact or explicit form)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--dilation", opts->dilation, "override the file's dilation: a number >= 1, or auto");
  cmd->add_flag("--require-netem", opts->require_netem, "refuse to start when the kernel cannot emulate latency/loss");
  cmd->add_option("--workers", opts->workers, "parallel netlink workers")->check(CLI::Range(1, 64));
  cmd->add_option("--rxe", opts->rxe, "soft-RoCE devices on GPU interfaces: auto (when the kernel can), on, off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  cmd->add_option("--name", opts->name, "name the cluster instead of the file's \"name\" ([a-z0-9][a-z0-9-]{0,23})");
  cmd->add_flag("--json", opts->json, "print the result as JSON");
  cmd->add_option("--machines", opts->machines,
                  "cut the cluster across machines: a machines file (JSON), or user@IPv4,user@IPv4,… (ssh; each runs `scalelab shard up`)");
  cmd->add_flag("--timings", opts->timings, "print the wall time of each phase (namespaces, sysctls, links, addresses, qdiscs, routes, rxe…)");
  cmd->callback([opts] {
    require_root("up", "creates network namespaces");
    if (!opts->machines.empty()) return up_across_machines(*opts);
    UpOptions options;
    options.require_netem = opts->require_netem;
    options.workers = opts->workers;
    if (!opts->name.empty()) options.name = opts->name;
    options.rxe = opts->rxe == "on" ? UpOptions::Rxe::on : opts->rxe == "off" ? UpOptions::Rxe::off : UpOptions::Rxe::auto_;
    options.on_progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
    set_dilation(options, opts->dilation);
    std::optional<Cluster> cluster;
    try {
      cluster.emplace(Cluster::up(opts->file, options));
    } catch (const TopologyError& e) {
      fail_located("topology", e.source(), e.json_pointer(), e.message(), "nothing was created.");
    } catch (const ClusterExists& e) {
      fail_as("cluster_exists", e.what());
    } catch (const BringUpError& e) {
      fail_as("bring_up", e.what());
    } catch (const NotPermitted& e) {
      fail_as("not_permitted", e.what());
    }
    // The cluster outlives this command: `down` ends it, not the end of `up`.
    cluster->release();
    const auto& report = cluster->report();
    if (opts->json) {
      nlohmann::json out = nlohmann::json{{"cluster", report.cluster}, {"seconds", report.seconds}, {"namespaces", report.namespaces},
                                         {"veth_pairs", report.veth_pairs}, {"qdiscs", report.qdiscs}, {"routes", report.routes},
                                         {"addresses", report.addresses}, {"rdma_devices", report.rdma_devices}, {"dilation", report.dilation},
                                         {"warnings", report.warnings}, {"notes", report.notes}, {"cluster_file", report.cluster_file}};
      if (opts->timings) {
        out["phases"] = nlohmann::json::array();
        for (const auto& p : report.phases) out["phases"].push_back({{"phase", p.phase}, {"seconds", p.seconds}, {"objects", p.objects}});
      }
      fmt::print("{}\n", out.dump(2));
      return;
    }
    for (const auto& w : report.warnings) fmt::print(stderr, "warning: {}\n", w);
    for (const auto& n : report.notes) fmt::print(stderr, "note: {}\n", n);
    fmt::print("cluster {} up in {:.3f} s: {} GPUs, {} namespaces, {} veth pairs, {} qdiscs, {} routes, {} rxe devices (dilation {:g})\n",
               report.cluster, report.seconds, report.gpus, report.namespaces, report.veth_pairs, report.qdiscs, report.routes,
               report.rdma_devices, report.dilation);
    if (opts->timings)
      for (const auto& p : report.phases)
        fmt::print("  {:<10} {:8.3f} s  {:>5.1f}%  {} objects\n", p.phase, p.seconds, report.seconds > 0 ? 100 * p.seconds / report.seconds : 0.0, p.objects);
    fmt::print("  cluster file: {}\n  next: scalelab status {} | scalelab exec {}/gpu0 -- ip -br addr | scalelab down {}\n",
               report.cluster_file, report.cluster, report.cluster, report.cluster);
  });
}

}  // namespace scalelab::cli
