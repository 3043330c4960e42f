#include "emulator/scenario/engine.h"

#include <fmt/format.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "emulator/locations/locations.h"
#include "emulator/model/topology_validation.h"
#include "emulator/model/units.h"
#include "emulator/netlink/capabilities.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/shaping.h"
#include "emulator/job/layout.h"
#include "emulator/job/selectors.h"
#include "emulator/process/agent_binary.h"
#include "emulator/process/process_group.h"
#include "emulator/process/rank_environment.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/runtime/realize.h"
#include "emulator/runtime/straggler_cgroups.h"
#include "emulator/runtime/targets.h"
#include "emulator/runtime/teardown.h"
#include "emulator/scenario/event_log.h"
#include "emulator/scenario/faults_in_force.h"
#include "emulator/scenario/report_files.h"
#include "emulator/scenario/straggler.h"
#include "emulator/scenario/timeline.h"

namespace scalelab::scenario {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) { g_interrupted = true; }

// SIGINT/SIGTERM end the drill cleanly (workload stopped, cluster removed) instead of killing
// the orchestrator mid-way.
class InterruptGuard {
 public:
  InterruptGuard() {
    g_interrupted = false;
    struct sigaction sa {};
    sa.sa_handler = on_interrupt;
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~InterruptGuard() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

model::Topology load_topology(const Scenario& s) {
  if (!s.topology_path.empty()) return model::load_topology(s.topology_path);
  return model::parse_topology(s.topology_inline.dump(), s.source + "#/topology");
}

// A job workload's layout, for the group:/stage:/expert: selectors.
struct JobContext {
  job::JobSpec spec;
  job::Layout layout;
};

std::optional<JobContext> job_context(const Scenario& s, const plan::Plan& plan) {
  if (s.workload.job.empty()) return std::nullopt;
  try {
    auto spec = job::load_job(s.workload.job);
    auto layout = job::make_layout(spec.parallel, plan::gpu_domains(plan), s.workload.job);
    return JobContext{std::move(spec), std::move(layout)};
  } catch (const job::JobError& e) {
    throw ScenarioError(s.source, "/workload/job", e.what());
  }
}

// GPU node names for a selector: the job's own (group:dp:0, stage:1, expert:3), else the runtime's.
std::vector<std::string> resolve_gpus(const plan::Plan& plan, const std::optional<JobContext>& job, const std::string& selector) {
  if (job) {
    try {
      if (auto ranks = job::job_ranks(job->spec, job->layout, selector)) {
        std::vector<std::string> out;
        for (int r : *ranks) out.push_back(plan.namespaces.at(static_cast<std::size_t>(r)).node);
        return out;
      }
    } catch (const job::SelectorError& e) {
      throw runtime::TargetError(e.what());
    }
  }
  return runtime::resolve_gpus(plan, selector);
}

// Every target resolved and every needed kernel feature checked before anything starts.
void validate_against(const Scenario& s, const plan::Plan& plan, const std::optional<JobContext>& job, const nl::KernelCapabilities& caps) {
  auto check = [&](const std::string& pointer, auto&& resolve) {
    try {
      resolve();
    } catch (const runtime::TargetError& e) {
      throw ScenarioError(s.source, pointer, e.what());
    }
  };
  static const std::set<std::string> link_actions = {"link_down", "link_up", "flap", "degrade", "restore"};
  static const std::set<std::string> rank_actions = {"kill", "stop", "cont", "straggler"};
  for (const auto& step : s.steps) {
    const std::string target = step.json_pointer + "/target";
    if (link_actions.count(step.action)) check(target, [&] { runtime::resolve_links(plan, step.target); });
    if (step.action == "nic_down" || step.action == "nic_up") check(target, [&] { runtime::resolve_nics(plan, step.target); });
    if (rank_actions.count(step.action)) {
      check(target, [&] { resolve_gpus(plan, job, step.target); });
    }
    for (std::size_t k = 0; k < step.sides.size(); ++k)
      for (std::size_t m = 0; m < step.sides[k].size(); ++m)
        check(step.json_pointer + fmt::format("/sides/{}/{}", k, m), [&] { resolve_gpus(plan, job, step.sides[k][m]); });
    if (step.action == "degrade" && (step.delay || step.jitter || step.loss) && !caps.has("netem"))
      throw ScenarioError(s.source, step.json_pointer,
                          "delay/jitter/loss need sch_netem, which this kernel (" + caps.kernel_release +
                              ") lacks; run the drill in the kernel tier: scalelab vm -- scalelab run-scenario " + s.source);
    if (step.action == "straggler" && !caps.has("cgroup-cpu") && !std::filesystem::exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") &&
        !std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"))
      throw ScenarioError(s.source, step.json_pointer, "straggler needs a cgroup CPU controller (v1 cpu or v2), and none is mounted");
    if (step.action == "straggler" && locations::rootless() && delegated_cgroup().empty())
      throw ScenarioError(s.source, step.json_pointer,
                          "straggler throttles a rank with a cgroup CPU quota, which a rootless run may set only in a cgroup "
                          "delegated to you; set SCALELAB_CGROUP to one with the cpu controller (a v1 cpu directory chown'd "
                          "to you, or a v2 subtree from `systemd-run --user --scope -p Delegate=yes`), run the drill as root, "
                          "or in `scalelab vm`");
  }
  for (const auto& x : s.expectations)
    for (std::size_t k = 0; k < x.by.size(); ++k)
      if (x.by[k] != "all" && x.by[k] != "survivors") check(x.json_pointer + "/by/" + std::to_string(k), [&] { resolve_gpus(plan, job, x.by[k]); });
  if (s.workload.transport == "verbs" && !caps.has("rxe-in-netns"))
    throw ScenarioError(s.source, "/workload/transport",
                        "verbs needs rxe in network namespaces (Linux >= 7.1), which this kernel lacks; use \"tcp\"/\"auto\", or run under `scalelab vm`");
}

class Drill {
 public:
  Drill(const Scenario& s, const RunOptions& o, plan::Plan plan, std::optional<JobContext> job)
      : s_(s), o_(o), plan_(std::move(plan)), job_(std::move(job)) {}

  RunResult run() {
    RunResult result;
    result.cluster = plan_.cluster;
    std::filesystem::create_directories(o_.report_dir);
    agents_log_.open(o_.report_dir + "/agents.log");
    runtime::realize(plan_, {});
    try {
      drive(result);
    } catch (...) {
      stop_workload();
      cleanup();
      throw;
    }
    stop_workload();
    cleanup();
    return result;
  }

 private:
  void drive(RunResult& result) {
    auto live = runtime::LiveCluster::open(plan_.cluster);
    cluster_file_ = runtime::ClusterDir::open(plan_.cluster)->read_json("cluster.json").value();
    log_.start();
    log_.add({{"t", 0.0}, {"type", "scenario"}, {"name", s_.name}, {"cluster", plan_.cluster}, {"world_size", plan_.gpu_count()},
              {"collective", !s_.workload.job.empty() ? "job " + std::filesystem::path(s_.workload.job).stem().string()
                                           : s_.workload.command.empty() ? s_.workload.collective : "command"},
              {"bytes", s_.workload.job.empty() ? nlohmann::json(s_.workload.bytes) : nlohmann::json(nullptr)},
              {"transport", s_.workload.transport}, {"dilation", plan_.dilation}});
    hang_deadline_s_ = s_.workload.duration_s + 4 * s_.workload.timeout_s + 15;
    launch_workload();
    std::thread monitor([this] { monitor_workload(); });

    auto timeline = expand_timeline(s_);
    for (const auto& action : timeline) {
      if (!wait_until(action.at_s)) break;
      apply(live, action, result);
    }
    // An interrupt ends the workload now, not when its loop would have ended.
    for (bool stopping = false;;) {
      std::unique_lock lock(workload_mutex_);
      if (workload_done_) break;
      if (g_interrupted && !stopping && group_) {
        for (std::size_t r = 0; r < plan_.gpu_count(); ++r) group_->signal(r, SIGTERM);
        stopping = true;
      }
      workload_cv_.wait_for(lock, std::chrono::milliseconds(50));
    }
    monitor.join();
    quotas_.clear();
    result.interrupted = g_interrupted;

    RunFacts facts;
    facts.events = log_.snapshot();
    facts.step_applied_at = step_applied_at_;
    facts.world_size = static_cast<int>(plan_.gpu_count());
    facts.hang_deadline_s = hang_deadline_s_;
    facts.workload_killed_at_deadline = killed_at_deadline_;
    facts.workload_ended_at = ended_at_;
    facts.workload_succeeded = succeeded_;
    result.verdicts = evaluate(s_, facts, [&](const std::string& sel) { return ranks_of(sel); });
    if (result.interrupted) result.verdicts.push_back({"not interrupted", false, "interrupted by a signal", "runs to its end", ""});
    result.passed = std::all_of(result.verdicts.begin(), result.verdicts.end(), [](const auto& v) { return v.passed; });
    result.max_lateness_ms = max_lateness_ms_;
    for (const auto& v : result.verdicts)
      log_.add({{"type", "verdict"}, {"expectation", v.expectation}, {"passed", v.passed}, {"measured", v.measured}, {"required", v.required}});
    write_report_files(o_.report_dir, log_.snapshot(), s_.name, result.passed);
  }

  bool wait_until(double at_s) {
    for (;;) {
      if (g_interrupted) return false;
      double left = at_s - log_.now();
      if (left <= 0) return true;
      std::unique_lock lock(workload_mutex_);
      if (workload_done_ && !s_.workload.restart_on_failure && left > 0 && ended_early_) return false;
      workload_cv_.wait_for(lock, std::chrono::duration<double>(std::min(left, 0.05)));
    }
  }

  std::vector<int> ranks_of(const std::string& selector) {
    std::vector<int> out;
    if (selector == "all" || selector == "survivors") {
      for (int r = 0; r < static_cast<int>(plan_.gpu_count()); ++r)
        if (selector == "all" || !removed_ranks_.count(r)) out.push_back(r);
      return out;
    }
    for (const auto& gpu : resolve_gpus(plan_, job_, selector)) out.push_back(plan_.find(gpu)->rank);
    return out;
  }

  void record_fault(const TimedAction& a, const std::string& detail, double applied_at, const std::string& error = "") {
    double lateness = (applied_at - a.at_s) * 1000;
    max_lateness_ms_ = std::max(max_lateness_ms_, lateness);
    nlohmann::json e = {{"t", applied_at}, {"type", a.action == "reconverge" ? "reroute" : "fault"}, {"step", a.step->index},
                        {"action", a.action}, {"target", a.step->target}, {"scheduled", a.at_s}, {"lateness_ms", lateness},
                        {"detail", detail}, {"undo", a.undo}};
    if (!error.empty()) e["error"] = error;
    log_.add(e);
    if (!a.undo && a.action != "reconverge" && !step_applied_at_.count(a.step->index)) step_applied_at_[a.step->index] = applied_at;
  }

  void apply(runtime::LiveCluster& live, const TimedAction& a, RunResult&) {
    const Step& step = *a.step;
    double applied_at = log_.now();
    std::string detail;
    try {
      if (a.action == "link_down" || a.action == "link_up") {
        auto links = runtime::resolve_links(plan_, step.target);
        live.set_links(links, a.action == "link_up");
        for (int l : links) detail += (detail.empty() ? "" : " ") + plan_.topology.links[l].a + "-" + plan_.topology.links[l].b;
      } else if (a.action == "reconverge") {
        detail = std::to_string(live.reconverge()) + " routes changed";
      } else if (a.action == "nic_down" || a.action == "nic_up") {
        for (auto [gpu, ifname] : runtime::resolve_nics(plan_, step.target)) {
          live.set_nic(gpu, ifname, a.action == "nic_up");
          detail += (detail.empty() ? "" : " ") + gpu + ":" + ifname;
        }
      } else if (a.action == "degrade") {
        runtime::LinkDegradation d;
        if (step.rate) d.rate_bps = plan::dilate_rate(model::parse_bandwidth_bps(*step.rate), plan_.dilation);
        if (step.delay) d.delay_ns = plan::dilate_time(model::parse_duration_ns(*step.delay), plan_.dilation);
        if (step.jitter) d.jitter_ns = plan::dilate_time(model::parse_duration_ns(*step.jitter), plan_.dilation);
        if (step.loss) d.loss = model::parse_percent(*step.loss);
        live.degrade(runtime::resolve_links(plan_, step.target), d);
        detail = d.rate_bps ? "rate " + model::format_bandwidth(*d.rate_bps) + " emulated" : "netem";
      } else if (a.action == "restore") {
        live.restore(runtime::resolve_links(plan_, step.target));
      } else if (a.action == "partition") {
        std::vector<std::string> sides[2];
        for (int k = 0; k < 2; ++k)
          for (const auto& sel : step.sides[k]) {
            auto g = resolve_gpus(plan_, job_, sel);
            sides[k].insert(sides[k].end(), g.begin(), g.end());
          }
        live.partition(sides[0], sides[1]);
        detail = fmt::format("{} | {}", fmt::join(sides[0], ","), fmt::join(sides[1], ","));
      } else if (a.action == "heal") {
        live.heal();
      } else {
        detail = apply_to_ranks(a);
      }
      record_fault(a, detail, applied_at);
    } catch (const std::exception& e) {
      record_fault(a, detail, applied_at, e.what());
      if (o_.verbose) fmt::print(stderr, "scenario: {} at {:.3f} s failed: {}\n", a.action, applied_at, e.what());
    }
  }

  std::string apply_to_ranks(const TimedAction& a) {
    std::lock_guard lock(workload_mutex_);
    std::string detail;
    for (const auto& gpu : resolve_gpus(plan_, job_, a.step->target)) {
      int rank = plan_.find(gpu)->rank;
      detail += (detail.empty() ? "rank " : ",") + std::to_string(rank);
      if (!group_) continue;
      if (a.action == "kill") group_->signal(rank, SIGKILL), removed_ranks_.insert(rank);
      if (a.action == "stop") group_->signal(rank, SIGSTOP), removed_ranks_.insert(rank);
      if (a.action == "cont") group_->signal(rank, SIGCONT), removed_ranks_.erase(rank);
      if (a.action == "straggler")
        quotas_[rank] = std::make_unique<CpuQuota>(runtime::straggler_cgroup_name(plan_.cluster, rank), group_->pids().at(rank), *a.step->cpu_percent);
      if (a.action == "release") quotas_.erase(rank);
    }
    return detail;
  }

  std::vector<std::string> workload_argv() const {
    if (!s_.workload.command.empty()) return s_.workload.command;
    const auto& w = s_.workload;
    std::string size = std::to_string(w.bytes);
    double remaining = std::max(1.0, w.duration_s - log_.now());
    if (!w.job.empty())
      return {process::job_agent_binary(), "--job", w.job, "--duration-s", fmt::format("{:.3f}", remaining), "--events", "-c", "0",
              "--timeout-ms", std::to_string(static_cast<long>(w.timeout_s * 1000)), "--transport", w.transport};
    return {process::agent_binary(), w.collective, "-b", size, "-e", size, "-w", "1", "-c", w.check ? "1" : "0", "--duration-s", fmt::format("{:.3f}", remaining),
            "--events", "--timeout-ms", std::to_string(static_cast<long>(w.timeout_s * 1000)), "--algo", w.algo, "--transport", w.transport,
            "-d", w.datatype};
  }

  void launch_workload() {
    auto dir = runtime::ClusterDir::open(plan_.cluster);
    auto sink = [this](std::size_t member, const std::string&, const std::string& line) { on_line(static_cast<int>(member), line); };
    auto group = std::make_unique<process::ProcessGroup>(dir->path("pids"), sink);
    const auto& ranks = cluster_file_["ranks"];
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      auto env = process::rank_environment(cluster_file_, r, dir->path("cluster.json"));
      std::vector<std::string> argv;
      for (const auto& arg : workload_argv()) argv.push_back(process::expand_variables(arg, env));
      std::string node = ranks[r]["node"];
      group->launch({fmt::format("rank {}", r), plan::netns_name(plan_.cluster, node), argv, env,
                     {node, dir->path(runtime::kHostsFile)}});
    }
    std::lock_guard lock(workload_mutex_);
    group_ = std::move(group);
    workload_done_ = false;
    launches_++;
  }

  void on_line(int rank, const std::string& line) {
    static const std::string kEvent = "SCALELAB_EVENT ", kError = "SCALELAB_ERROR ";
    {
      std::lock_guard lock(log_file_mutex_);
      agents_log_ << fmt::format("{:9.3f} [rank {}] {}\n", log_.now(), rank, line);
    }
    if (o_.verbose) fmt::print("[rank {}] {}\n", rank, line);
    try {
      if (line.rfind(kEvent, 0) == 0) {
        auto e = nlohmann::json::parse(line.substr(kEvent.size()));
        nlohmann::json out = {{"type", "iteration"}, {"rank", e.value("rank", rank)}, {"iter", e.value("iter", 0)},
                              {"t", log_.from_unix(e.value("end_unix", 0.0))}, {"start", log_.from_unix(e.value("start_unix", 0.0))},
                              {"duration_ms", (e.value("end_unix", 0.0) - e.value("start_unix", 0.0)) * 1000},
                              {"busbw_GBps", e.value("busbw_GBps", 0.0)}, {"algbw_GBps", e.value("algbw_GBps", 0.0)},
                              {"bytes", e.value("bytes", 0)}};
        if (e.contains("wrong")) out["wrong"] = e["wrong"];  // a checked loop (workload "check")
        log_.add(out);
      } else if (line.rfind(kError, 0) == 0) {
        auto e = nlohmann::json::parse(line.substr(kError.size()));
        e["type"] = "agent_error";
        if (!e.contains("rank")) e["rank"] = rank;
        log_.add(e);
      }
    } catch (const std::exception&) {
      // a line that only looks like an event: kept in agents.log, not judged
    }
  }

  void monitor_workload() {
    for (;;) {
      process::ProcessGroup* group;
      {
        std::lock_guard lock(workload_mutex_);
        group = group_.get();
      }
      auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(hang_deadline_s_ - log_.now()));
      auto result = group->wait(deadline, /*stop_on_failure=*/false, std::chrono::milliseconds(500));
      auto start = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(log_.now()));
      for (std::size_t r = 0; r < result.members.size(); ++r) {
        const auto& m = result.members[r];
        const double t = std::chrono::duration<double>(m.ended - start).count();
        nlohmann::json e = {{"t", t}, {"type", "rank_exit"}, {"rank", r}, {"status", m.status}, {"launch", launches_},
                            {"killed_by_scalelab", m.killed_by_us}};
        // A rank that failed on its own is reported with the faults in force, so the drill
        // names the link a workload that knows nothing of scalelab was failing on.
        if (m.status != 0 && !m.killed_by_us) e["faults_in_force"] = faults_in_force(log_.snapshot(/*iterations=*/false), t);
        log_.add(e);
      }
      bool ok = result.all_succeeded();
      bool time_left = log_.now() < s_.workload.duration_s - 1;
      if (g_interrupted) time_left = false;
      if (!ok && s_.workload.restart_on_failure && time_left && !g_interrupted && !result.timed_out) {
        log_.add({{"type", "restart"}, {"launch", launches_ + 1}});
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        launch_workload();
        continue;
      }
      std::lock_guard lock(workload_mutex_);
      killed_at_deadline_ = result.timed_out;
      ended_at_ = log_.now();
      succeeded_ = ok;
      workload_done_ = true;
      ended_early_ = log_.now() < s_.workload.duration_s;
      workload_cv_.notify_all();
      return;
    }
  }

  void stop_workload() {
    std::lock_guard lock(workload_mutex_);
    quotas_.clear();
    group_.reset();  // ends whatever still runs, by pid
  }

  void cleanup() {
    if (!o_.keep) runtime::down(plan_.cluster);
    agents_log_.close();
  }

  const Scenario& s_;
  const RunOptions& o_;
  plan::Plan plan_;
  std::optional<JobContext> job_;
  nlohmann::json cluster_file_;
  EventLog log_;
  std::ofstream agents_log_;
  std::mutex log_file_mutex_;

  std::mutex workload_mutex_;
  std::condition_variable workload_cv_;
  std::unique_ptr<process::ProcessGroup> group_;
  int launches_ = 0;
  bool workload_done_ = false, ended_early_ = false, killed_at_deadline_ = false, succeeded_ = false;
  double ended_at_ = -1, hang_deadline_s_ = 0, max_lateness_ms_ = 0;
  std::set<int> removed_ranks_;
  std::map<int, std::unique_ptr<CpuQuota>> quotas_;
  std::map<int, double> step_applied_at_;
};

}  // namespace

void check_scenario(const Scenario& scenario) {
  auto plan = plan::build_plan(load_topology(scenario));
  // A kernel that can do everything: what is left to fail is the scenario's own targets.
  nl::KernelCapabilities any_kernel{"any", {}};
  for (const char* feature : {"netem", "rxe-in-netns", "rps", "cgroup-cpu"}) any_kernel.items.push_back({feature, true, "", false});
  validate_against(scenario, plan, job_context(scenario, plan), any_kernel);
}

RunResult run_scenario(const Scenario& scenario, const RunOptions& options) {
  auto topology = load_topology(scenario);
  if (options.cluster_name) {
    topology.name = *options.cluster_name;
    model::validate_topology(topology);  // the new name must fit the kernel's limits too
  }
  auto plan = plan::build_plan(topology);
  auto caps = nl::probe_kernel_capabilities();
  auto job = job_context(scenario, plan);  // the job file read once: validated here, its selectors used by the drill
  validate_against(scenario, plan, job, caps);
  InterruptGuard interrupts;
  Drill drill(scenario, options, std::move(plan), std::move(job));
  return drill.run();
}

std::string verdict_table(const RunResult& result) {
  std::string out = fmt::format("{:<4} {:<36} {:<48} {}\n", "", "expectation", "measured", "required");
  for (const auto& v : result.verdicts)
    out += fmt::format("{:<4} {:<36} {:<48} {}\n", v.passed ? "PASS" : "FAIL", v.expectation, v.measured, v.required);
  out += fmt::format("faults applied at most {:.2f} ms late; drill {}\n", result.max_lateness_ms, result.passed ? "PASSED" : "FAILED");
  return out;
}

}  // namespace scalelab::scenario
