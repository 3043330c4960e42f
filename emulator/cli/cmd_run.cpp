#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <ctime>
#include <map>
#include <memory>
#include <optional>

#include "emulator/cli/cli_support.h"
#include "emulator/cli/commands.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/shard/launch_across.h"
#include "emulator/shard/operator.h"
#include "scalelab/cluster.h"

namespace scalelab::cli {

namespace {

// "; faults in force: link_down gpu0-leaf0" when `scalelab inject` (or a drill) left any: a
// workload that knows nothing of scalelab fails with a timeout or a reset, not with the link.
std::string faults_in_force(const std::string& cluster) {
  try {
    return faults_in_force_suffix(runtime::LiveCluster::open(cluster).faults_in_force());
  } catch (const std::exception&) {
    return "";  // the cluster went away meanwhile: nothing to add to the rank's own failure
  }
}

// SIGINT/SIGTERM while the ranks run: passed on to every rank as SIGTERM, so that a caller who
// ends `scalelab run` (python/scalelab's Job.kill()) ends the ranks and still gets the result.
// The handler only reads what was stored before it was installed (async-signal-safe).
std::vector<pid_t> g_rank_pids;
std::atomic<int> g_interrupt_signal{0};
std::atomic<long long> g_interrupted_at_ns{0};  // CLOCK_MONOTONIC, as steady_clock on Linux

extern "C" void on_run_interrupt(int sig) {
  if (g_interrupt_signal.exchange(sig) != 0) return;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  g_interrupted_at_ns = static_cast<long long>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
  for (pid_t pid : g_rank_pids) ::kill(pid, SIGTERM);
}

void forward_interrupts_to(std::vector<pid_t> pids) {
  g_rank_pids = std::move(pids);
  struct sigaction sa {};
  sa.sa_handler = on_run_interrupt;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// `run --json`: every rank's exit status and output; a rank that ended after an interrupt counts
// as stopped (the job ended it), as a rank ended by the deadline does.
nlohmann::json result_json(const std::string& cluster, const JobResult& result) {
  const long long interrupted_at = g_interrupted_at_ns;
  nlohmann::json ranks = nlohmann::json::array();
  std::vector<int> failed, stopped;
  for (const auto& r : result.ranks) {
    const long long ended = std::chrono::duration_cast<std::chrono::nanoseconds>(r.ended.time_since_epoch()).count();
    const bool was_stopped = r.stopped || (interrupted_at != 0 && r.status != 0 && ended >= interrupted_at);
    if (was_stopped) stopped.push_back(r.rank);
    else if (r.status != 0) failed.push_back(r.rank);
    ranks.push_back({{"rank", r.rank}, {"node", r.node}, {"label", r.label}, {"pid", r.pid}, {"status", r.status},
                     {"stopped", was_stopped}, {"output", r.output}});
  }
  const auto* first = result.first_failure();
  const bool first_counts = first && std::find(failed.begin(), failed.end(), first->rank) != failed.end();
  return {{"cluster", cluster},
          {"ok", result.ok() && interrupted_at == 0},
          {"timed_out", result.timed_out},
          {"interrupted", interrupted_at != 0},
          {"failed_ranks", failed},
          {"stopped_ranks", stopped},
          {"first_failure", first_counts ? nlohmann::json(first->rank) : nlohmann::json(nullptr)},
          {"ranks", ranks}};
}

// Every machine runs its ranks (`shard run` there); lines stream back as `run` prints them here.
void run_across(const std::string& cluster, const std::vector<std::string>& command, double timeout_s, bool quiet, bool json) {
  std::vector<std::string> args{"shard", "run", cluster, "--timeout", fmt::format("{}", timeout_s), "--"};
  args.insert(args.end(), command.begin(), command.end());
  std::map<int, std::vector<std::string>> output;
  auto run = shard::run_across(cluster, args, [&](const shard::RankLine& l) {
    if (json) output[l.rank].push_back(l.line);
    else if (!quiet) fmt::print("[{}] {}\n", l.label, l.line);
    std::fflush(stdout);
  }, timeout_s > 0 ? std::optional(std::chrono::seconds(static_cast<long>(std::ceil(timeout_s)))) : std::nullopt);
  if (json) {
    nlohmann::json ranks = nlohmann::json::array();
    std::vector<int> failed, stopped;
    for (const auto& r : run.ranks) {
      if (r.stopped) stopped.push_back(r.rank);
      else if (r.status != 0) failed.push_back(r.rank);
      ranks.push_back({{"rank", r.rank}, {"node", r.node}, {"label", r.label}, {"status", r.status}, {"stopped", r.stopped},
                       {"output", output[r.rank]}});
    }
    const auto* first = run.first_failure();
    fmt::print("{}\n", nlohmann::json{{"cluster", cluster}, {"ok", run.ok()}, {"timed_out", run.timed_out}, {"failed_ranks", failed},
                                      {"stopped_ranks", stopped}, {"first_failure", first ? nlohmann::json(first->rank) : nlohmann::json(nullptr)},
                                      {"lost_machines", run.lost_machines}, {"ranks", ranks}}
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  if (run.ok()) return;
  for (const auto& lost : run.lost_machines) fmt::print(stderr, "{}\n", lost);
  if (run.timed_out) fail_as("run", fmt::format("timed out after {} s; every rank on every machine was stopped", timeout_s));
  if (!run.lost_machines.empty())
    fail_as("shard", run.lost_machines.front() + "; the ranks on the other machines were stopped and " + shard::take_down_after_loss(cluster));
  const auto* first = run.first_failure();
  fail_as("run", fmt::format("{} exited with status {} on machine {}; the other ranks on every machine were stopped{}", first ? first->label : "a rank",
                             first ? first->status : -1, run.first_failed_machine, faults_in_force_suffix(run.faults_in_force)),
          exit_status_of_rank(first ? first->status : -1));
}

}  // namespace

void add_run_command(CLI::App& app) {
  struct Options {
    std::string cluster;
    std::vector<std::string> command;
    double timeout_s = 0;
    bool quiet = false, json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("run", "Run a command once per GPU, inside each GPU's namespace, torchrun-style: "
                                        "scalelab run CLUSTER -- CMD ARGS… ($RANK etc. expanded)");
  cmd->add_option("cluster", opts->cluster, "cluster name")->required();
  cmd->add_option("command", opts->command, "the command (after --)")->required();
  cmd->add_option("--timeout", opts->timeout_s, "end every rank after this many seconds (0 = no limit)")->check(CLI::NonNegativeNumber);
  cmd->add_flag("--quiet,-q", opts->quiet, "do not stream the ranks' output");
  cmd->add_flag("--json", opts->json, "print every rank's exit status and output as JSON at the end, instead of streaming it");
  cmd->callback([opts] {
    require_root("run", "enters network namespaces");
    if (shard::across_record(opts->cluster)) return run_across(opts->cluster, opts->command, opts->timeout_s, opts->quiet, opts->json);
    RunOptions options;
    options.keep_output = opts->json;
    options.on_line = [quiet = opts->quiet || opts->json](int, const std::string& label, const std::string& line) {
      if (!quiet) fmt::print("[{}] {}\n", label, line);
    };
    std::optional<Job> job;
    try {
      job.emplace(Cluster::attach(opts->cluster).run(opts->command, std::move(options)));
    } catch (const NotFound& e) {
      fail_as("not_found", e.what());
    } catch (const LaunchError& e) {
      fail_as("launch", e.what());
    }
    forward_interrupts_to(job->pids());
    std::optional<std::chrono::milliseconds> timeout;
    if (opts->timeout_s > 0) timeout = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(opts->timeout_s));
    const auto& result = job->wait(timeout);
    if (opts->json) fmt::print("{}\n", result_json(opts->cluster, result).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (int sig = g_interrupt_signal) fail_as("run", fmt::format("interrupted (signal {}); every rank was stopped", sig), 128 + sig);
    if (result.ok()) return;
    const std::size_t stopped = result.stopped_ranks().size();
    if (result.timed_out) fail_as("run", fmt::format("timed out after {} s; {} ranks were stopped", opts->timeout_s, stopped));
    const auto* first = result.first_failure();
    fail_as("run", fmt::format("{} exited with status {}; the other {} running ranks were stopped{}", first ? first->label : "a rank",
                     first ? first->status : -1, stopped, faults_in_force(opts->cluster)),
         exit_status_of_rank(first ? first->status : -1));
  });
}

}  // namespace scalelab::cli
