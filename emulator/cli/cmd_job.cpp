// scalelab job TOPOLOGY|CLUSTER JOB: one training job's steps on the emulated fabric, every rank
// a scalelab-job-agent in its GPU's namespace; rank 0's tables are the output. Given a topology
// file, the cluster is brought up for the job and removed after it, whatever happens.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/shard/operator.h"
#include "emulator/cli/job_prediction.h"
#include "emulator/job/layout.h"
#include "emulator/plan/plan.h"
#include "emulator/process/agent_binary.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/live_cluster.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {
namespace {

std::atomic<bool> g_job_interrupted{false};
extern "C" void on_job_interrupt(int) { g_job_interrupted = true; }

// SIGINT/SIGTERM stop the ranks and still remove the cluster (a signal's default action would
// leave it for `scalelab down`).
void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_job_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// Takes down the cluster this verb brought up, on every way out of it, and says so when it cannot.
struct ClusterForJob {
  std::optional<Cluster> cluster;
  ~ClusterForJob() {
    if (!cluster) return;
    try {
      cluster->down();
    } catch (const std::exception& e) {
      fmt::print(stderr, "scalelab: removing cluster {} failed: {} (run `scalelab down {}`)\n", cluster->name(), e.what(), cluster->name());
    }
  }
};

// The live cluster's own plan, as built: without netem no link latency was applied.
void compare_with_model(const std::string& cluster, const job::JobSpec& spec, const std::string& json_path) {
  std::ifstream in(json_path);
  const auto measured = nlohmann::json::parse(in);
  auto live = runtime::LiveCluster::open(cluster);
  plan::Plan applied = live.plan();
  if (!live.netem_available())
    for (auto& ns : applied.namespaces)
      for (auto& i : ns.interfaces) i.egress.delay_ns = i.egress.jitter_ns = 0;
  costmodel::Options mo;
  const auto transport = measured.value("transport", nlohmann::json::object());
  if (transport.value("scale_out", "") == "tcp" || transport.value("scale_up", "") == "tcp") mo.transport = costmodel::Transport::tcp;
  print_job_comparison(applied, spec, job::make_layout(spec.parallel, plan::gpu_domains(applied), spec.source), measured, mo);
}

}  // namespace

void add_job_command(CLI::App& app) {
  struct Options {
    std::string target, job, json, dilation, transport = "auto";
    int steps = 5, warmup_steps = 1;
    long timeout_ms = 0;
    double wall_timeout_s = 900;
    bool compare_model = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("job", "Run a training job (jobs/*.json: tp/pp/dp/ep groups, 1F1B, DP buckets, MoE alltoallv) on a "
                                        "cluster and print per step its time, phases and exposed communication, per group its busbw");
  cmd->add_option("target", opts->target, "a topology file (brought up for the job, removed after) or the name of a cluster that is up")->required();
  cmd->add_option("job", opts->job, "job file")->required()->check(CLI::ExistingFile);
  cmd->add_option("--steps", opts->steps, "timed steps")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--warmup-steps", opts->warmup_steps, "untimed steps first; their data is checked")->check(CLI::Range(0, 1000))->capture_default_str();
  cmd->add_option("--json", opts->json, "write every figure (steps, phases, groups, projected real numbers) to this file");
  cmd->add_option("--dilation", opts->dilation, "with a topology file: override its dilation (a number >= 1, or auto)");
  cmd->add_option("--transport", opts->transport, "auto | tcp | verbs")->check(CLI::IsMember({"auto", "tcp", "verbs"}))->capture_default_str();
  cmd->add_option("--timeout-ms", opts->timeout_ms, "the agents' deadline per blocking step (default 10000)");
  cmd->add_option("--wall-timeout", opts->wall_timeout_s, "end the whole job after this many seconds")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--compare-model", opts->compare_model, "after the run: measured against the job model, step and phase by phase");
  cmd->callback([opts] {
    require_root("job", "enters network namespaces");
    const auto spec = job::load_job(opts->job);
    catch_interrupts();
    ClusterForJob owned;
    std::string cluster = opts->target;
    if (std::filesystem::is_regular_file(opts->target)) {
      UpOptions up;
      set_dilation(up, opts->dilation);
      up.on_progress = [](const std::string& line) { fmt::print(stderr, "{}\n", line); };
      up.before_create = [&](const PlanSummary& plan) {
        cluster = plan.cluster;
        job::make_layout(spec.parallel, plan.gpu_domains, spec.source);  // refuse a misfit before building anything
      };
      try {
        owned.cluster.emplace(Cluster::up(opts->target, up));
      } catch (const TopologyError& e) {
        fail(std::string(e.what()) + "\nnothing was created.");
      } catch (const ClusterExists& e) {
        fail(std::string(e.what()) + "\n(`scalelab job` brings the topology up itself; to use the running cluster, pass its name: "
                                     "scalelab job " + cluster + " " + opts->job + ")");
      }
      const auto& report = owned.cluster->report();
      for (const auto& w : report.warnings) fmt::print(stderr, "warning: {}\n", w);
      fmt::print(stderr, "cluster {} up in {:.3f} s for the job (dilation {:g}); it is removed when the job ends\n", cluster,
                 report.seconds, report.dilation);
    } else if (!opts->dilation.empty()) {
      fail("--dilation applies to a topology file; cluster " + opts->target + " is already up at its own dilation");
    }
    if (shard::across_record(cluster))
      fail("cluster " + cluster + " is up across machines, and `job` does not run across machines yet (its job file would have to reach "
           "every machine): `scalelab run` and `scalelab bench` do; or bring the topology up on one machine for the job");
    auto dir = runtime::ClusterDir::open(cluster);
    if (!dir) fail("no cluster named \"" + cluster + "\" is up, and " + opts->target + " is not a topology file");

    std::vector<std::string> argv = {process::job_agent_binary(), "--job", std::filesystem::absolute(opts->job).string(),
                                     "--steps", std::to_string(opts->steps), "--warmup-steps", std::to_string(opts->warmup_steps),
                                     "--transport", opts->transport};
    if (opts->timeout_ms > 0) argv.insert(argv.end(), {"--timeout-ms", std::to_string(opts->timeout_ms)});
    if (opts->compare_model && opts->json.empty()) opts->json = dir->path("job-last.json");
    if (!opts->json.empty()) argv.insert(argv.end(), {"--json", std::filesystem::absolute(opts->json).string()});
    RankZeroOutput output;
    RunOptions run;
    run.keep_output = false;
    run.on_line = output.handler();
    if (g_job_interrupted) fail("interrupted before the job started; the cluster was removed", 130);
    auto job = Cluster::attach(cluster).run(argv, std::move(run));
    std::atomic<bool> finished{false};
    std::thread watcher([&] {
      while (!finished && !g_job_interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (g_job_interrupted) job.signal(SIGTERM);
    });
    const auto& result = job.wait(std::chrono::seconds(static_cast<long>(opts->wall_timeout_s)));
    finished = true;
    watcher.join();
    output.print_others();
    if (g_job_interrupted) fail("interrupted; the ranks were stopped and any cluster the job brought up was removed", 130);
    if (result.ok()) {
      if (opts->compare_model) compare_with_model(cluster, spec, opts->json);
      return;
    }
    if (result.timed_out) fail(fmt::format("the job did not finish within {} s; every rank was stopped", opts->wall_timeout_s));
    const auto* first = result.first_failure();
    fail(fmt::format("{} failed (exit {}); the other ranks were stopped", first ? first->label : "a rank", first ? first->status : -1),
         exit_status_of_rank(first ? first->status : -1));
  });
}

}  // namespace scalelab::cli
