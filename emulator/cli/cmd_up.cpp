#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/model/units.h"
#include "emulator/runtime/capacity.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/realize.h"

namespace scalelab::cli {

void add_up_command(CLI::App& app) {
  struct Options {
    std::string file, dilation;
    bool require_netem = false, json = false;
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
  cmd->add_flag("--json", opts->json, "print the result as JSON");
  cmd->callback([opts] {
    if (geteuid() != 0) fail("`up` creates network namespaces and needs root (sudo)");
    auto topology = model::load_topology(opts->file);
    double dilation = 0;
    if (!opts->dilation.empty() && opts->dilation != "auto") {
      try {
        dilation = std::stod(opts->dilation);
      } catch (...) {
        dilation = 0;
      }
      if (dilation < 1) fail("--dilation takes a number >= 1 or \"auto\", got \"" + opts->dilation + "\"");
    } else if (opts->dilation == "auto") {
      topology.dilation_auto = true;
    }
    if (topology.dilation_auto && dilation == 0) {
      auto capacity = runtime::load_capacity();
      if (!capacity) {
        fmt::print(stderr, "dilation auto: measuring this machine's veth capacity first (scalelab doctor --capacity)…\n");
        capacity = runtime::measure_capacity(2.0, 2);
        runtime::store_capacity(*capacity);
      }
      dilation = runtime::auto_dilation(topology, capacity->veth_bps);
      fmt::print(stderr, "dilation auto: {:g} (busiest collective asks {} of the {} this machine moves; target: under half)\n", dilation,
                 model::format_bandwidth(runtime::aggregate_demand_bps(topology, dilation)), model::format_bandwidth(capacity->veth_bps));
    }
    auto plan = plan::build_plan(topology, dilation);
    if (auto capacity = runtime::load_capacity()) {
      auto demand = runtime::aggregate_demand_bps(topology, plan.dilation);
      if (demand > capacity->veth_bps / 2)
        fmt::print(stderr,
                   "warning: at dilation {:g} the busiest collective asks {} of a machine that moves {} through veth (measured {}): "
                   "results would measure the CPU, not the fabric. Use --dilation auto or a dilation >= {:g}.\n",
                   plan.dilation, model::format_bandwidth(demand), model::format_bandwidth(capacity->veth_bps), capacity->measured_at,
                   runtime::auto_dilation(topology, capacity->veth_bps));
    }
    runtime::RealizeReport report;
    try {
      using Rxe = runtime::RealizeOptions::Rxe;
      report = runtime::realize(plan, {opts->workers, opts->require_netem,
                                       opts->rxe == "on" ? Rxe::on : opts->rxe == "off" ? Rxe::off : Rxe::auto_});
    } catch (const runtime::ClusterExists& e) {
      fail(e.what());
    } catch (const std::exception& e) {
      fail(fmt::format("bringing up {} failed: {}\neverything it had created was removed.", plan.cluster, e.what()));
    }
    if (opts->json) {
      fmt::print("{}\n", nlohmann::json{{"cluster", plan.cluster}, {"seconds", report.seconds}, {"namespaces", report.namespaces},
                                         {"veth_pairs", report.veths}, {"qdiscs", report.qdiscs}, {"routes", report.routes},
                                         {"addresses", report.addresses}, {"rdma_devices", report.rdma_devices}, {"dilation", plan.dilation}, {"warnings", report.warnings}, {"notes", report.notes},
                                         {"cluster_file", std::string(runtime::kStateRoot) + "/" + plan.cluster + "/cluster.json"}}
                             .dump(2));
      return;
    }
    for (const auto& w : report.warnings) fmt::print(stderr, "warning: {}\n", w);
    for (const auto& n : report.notes) fmt::print(stderr, "note: {}\n", n);
    fmt::print("cluster {} up in {:.3f} s: {} GPUs, {} namespaces, {} veth pairs, {} qdiscs, {} routes, {} rxe devices (dilation {:g})\n",
               plan.cluster, report.seconds, plan.gpu_count(), report.namespaces, report.veths, report.qdiscs, report.routes,
               report.rdma_devices, plan.dilation);
    fmt::print("  cluster file: {}/{}/cluster.json\n  next: scalelab status {} | scalelab exec {}/gpu0 -- ip -br addr | scalelab down {}\n",
               runtime::kStateRoot, plan.cluster, plan.cluster, plan.cluster, plan.cluster);
  });
}

}  // namespace scalelab::cli
