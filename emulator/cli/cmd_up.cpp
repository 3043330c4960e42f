#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

void add_up_command(CLI::App& app) {
  struct Options {
    std::string file, dilation, name;
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
  cmd->add_flag("--timings", opts->timings, "print the wall time of each phase (namespaces, sysctls, links, addresses, qdiscs, routes, rxe…)");
  cmd->callback([opts] {
    require_root("up", "creates network namespaces");
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
