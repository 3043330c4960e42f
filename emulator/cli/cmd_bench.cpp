#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/costmodel/costmodel.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/shard/launch_across.h"
#include "emulator/shard/operator.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {
namespace {

// Under a row, each stage's time: where a gap to the model comes from. A stage's measured time is
// the slowest rank's, waiting for its peers included, so they can add up to more than the row.
void print_stage_comparison(const nlohmann::json& measured, const costmodel::Prediction& p) {
  for (const auto& st : measured) {
    const std::string name = st.value("name", "");
    const double us = st.value("time_us", 0.0);
    const auto it = std::find_if(p.stages.begin(), p.stages.end(), [&](const auto& s) { return s.name == name; });
    if (it == p.stages.end() || it->time_us <= 0) {
      fmt::print("  {:>12}   {:<22} {:>12.0f} us measured (no model stage)\n", "", name, us);
      continue;
    }
    fmt::print("  {:>12}   {:<22} {:>12.0f} us measured {:>12.0f} us model {:>7.1f}%\n", "", name, us, it->time_us,
               100 * (it->time_us - us) / us);
  }
}

// Measured (the agents' JSON rows) against the alpha-beta model on the cluster's own plan, as
// built (`netem`: whether link delay was applied).
void print_model_comparison(const plan::Plan& built, bool netem, const std::string& collective, const std::string& json_path) {
  std::ifstream in(json_path);
  auto run = nlohmann::json::parse(in);
  costmodel::Options options;
  bool tcp = run.value("transport", nlohmann::json::object()).value("scale_out", "") == "tcp" ||
             run.value("transport", nlohmann::json::object()).value("scale_up", "") == "tcp";
  options.transport = tcp ? costmodel::Transport::tcp : costmodel::Transport::ideal;
  std::string algo = run.value("algo", "auto");
  // Model the fabric that was really built: without netem no link latency was applied.
  plan::Plan applied = built;
  if (!netem)
    for (auto& ns : applied.namespaces)
      for (auto& i : ns.interfaces) i.egress.delay_ns = i.egress.jitter_ns = 0;
  double dilation = applied.dilation;
  fmt::print("\n# Model comparison ({} {}, transport {}, dilation {:g}{}; docs/model.md)\n", collective, algo, tcp ? "tcp" : "ideal", dilation,
             netem ? "" : ", no netem here: link latency modelled as 0 as built");
  fmt::print("# {:>12} {:>14} {:>14} {:>8} {:>16}\n", "size (B)", "measured GB/s", "model GB/s", "error", "projected GB/s");
  double worst = 0;
  for (const auto& row : run.value("rows", nlohmann::json::array())) {
    std::uint64_t bytes = row.value("size", row.value("bytes", std::uint64_t{0}));
    double measured = row.value("busbw_GBps", 0.0);
    const auto prediction = costmodel::predict_emulated(applied, collective, algo, bytes, options);
    double predicted = prediction.busbw_GBps;
    double error = predicted > 0 ? 100 * (measured - predicted) / predicted : 0;
    worst = std::max(worst, std::abs(error));
    fmt::print("  {:>12} {:>14.4f} {:>14.4f} {:>7.1f}% {:>16.2f}\n", bytes, measured, predicted, error, measured * dilation);
    print_stage_comparison(row.value("stages", nlohmann::json::array()), prediction);
  }
  fmt::print("# worst |error| {:.1f}%\n", worst);
}

// Every machine runs its ranks (`shard bench` there); rank 0's table streams back as it is
// printed, and its rows come back with its machine's summary.
void bench_across(const std::string& cluster, const std::string& collective, const std::vector<std::string>& agent_args,
                  double timeout_s, const std::string& json_path, bool compare_model) {
  std::vector<std::string> args{"shard", "bench", cluster, collective, "--timeout", fmt::format("{}", timeout_s), "--"};
  args.insert(args.end(), agent_args.begin(), agent_args.end());
  RankZeroOutput output;
  auto handler = output.handler();
  auto run = shard::run_across(cluster, args, [&](const shard::RankLine& l) { handler(l.rank, l.label, l.line); },
                               std::chrono::seconds(static_cast<long>(timeout_s)));
  output.print_others();
  for (const auto& lost : run.lost_machines) fmt::print(stderr, "{}\n", lost);
  if (!run.ok()) {
    if (run.timed_out) fail_as("bench", fmt::format("bench did not finish within {} s; every rank on every machine was stopped", timeout_s));
    if (!run.lost_machines.empty())
      fail_as("shard", fmt::format("{}; the ranks on the other machines were stopped and {}", run.lost_machines.front(),
                                   shard::take_down_after_loss(cluster)));
    const auto* first = run.first_failure();
    fail_as("bench", fmt::format("{} failed (exit {}) on machine {}; the other ranks on every machine were stopped{}",
                                 first ? first->label : "a rank", first ? first->status : -1, run.first_failed_machine,
                                 faults_in_force_suffix(run.faults_in_force)),
            exit_status_of_rank(first ? first->status : -1));
  }
  if (!run.collected) fail_as("bench", "rank 0's machine sent back no results");
  if (!json_path.empty()) std::ofstream(json_path) << run.collected->dump(2) << "\n";
  if (compare_model) {
    auto record = shard::across_record(cluster);
    auto built = plan::build_plan(model::parse_topology((*record)["topology"].dump(), "the record of " + cluster));
    print_model_comparison(built, run.netem, collective, json_path);
  }
}

}  // namespace

void add_bench_command(CLI::App& app) {
  struct Options {
    std::string cluster, collective, json;
    double timeout_s = 600;
    bool compare_model = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("bench", "Run a collective on every GPU of a cluster and print it as nccl-tests does "
                                          "(flags -b -e -f -i -n -w -c -o -d -r, --algo, --transport, --timeout-ms pass to the agents)");
  cmd->add_option("cluster", opts->cluster, "cluster name")->required();
  cmd->add_option("collective", opts->collective, "all_reduce all_gather reduce_scatter broadcast alltoall sendrecv")
      ->required()
      ->check(CLI::IsMember({"all_reduce", "all_gather", "reduce_scatter", "broadcast", "alltoall", "sendrecv"}));
  cmd->add_option("--json", opts->json, "write the rows (with projected real-cluster busbw) to this file");
  cmd->add_flag("--compare-model", opts->compare_model, "after the run: measured vs the alpha-beta model's busbw per size, error %, projected real busbw");
  cmd->add_option("--wall-timeout", opts->timeout_s, "end the whole run after this many seconds")->check(CLI::PositiveNumber);
  cmd->allow_extras();
  // The agents' flags are extras here, not the parent's: only --rootless belongs to scalelab.
  cmd->fallthrough(false);
  cmd->callback([opts, cmd] {
    require_root("bench", "enters network namespaces");
    BenchOptions options;
    options.collective = opts->collective;
    options.args = cmd->remaining();
    std::erase(options.args, std::string("--rootless"));
    if (shard::across_record(opts->cluster)) {
      std::string json = opts->json.empty() ? "" : std::filesystem::absolute(opts->json).string();
      const bool scratch = opts->compare_model && json.empty();  // the rows only feed the comparison
      if (scratch) json = (std::filesystem::temp_directory_path() / fmt::format("scalelab-bench-{}.json", getpid())).string();
      bench_across(opts->cluster, opts->collective, options.args, opts->timeout_s, json, opts->compare_model);
      if (scratch) std::filesystem::remove(json);
      return;
    }
    if (opts->compare_model && opts->json.empty()) opts->json = locations::state_root() + "/" + opts->cluster + "/bench-last.json";
    if (!opts->json.empty()) options.json_path = std::filesystem::absolute(opts->json).string();
    options.timeout = std::chrono::seconds(static_cast<long>(opts->timeout_s));
    RankZeroOutput output;
    options.on_line = output.handler();
    try {
      Cluster::attach(opts->cluster).bench(options);
    } catch (const BenchError& e) {
      output.print_others();
      if (e.result().timed_out) fail_as("bench", fmt::format("bench did not finish within {} s; every rank was stopped", opts->timeout_s));
      const auto* first = e.result().first_failure();
      fail_as("bench", e.what(), exit_status_of_rank(first ? first->status : -1));
    } catch (const NotFound& e) {
      fail_as("not_found", e.what());
    }
    output.print_others();
    if (opts->compare_model) {
      auto live = runtime::LiveCluster::open(opts->cluster);
      print_model_comparison(live.plan(), live.netem_available(), opts->collective, options.json_path);
    }
  });
}

}  // namespace scalelab::cli
