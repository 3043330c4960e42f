// scalelab-job-agent: one rank of a job (jobs/*.json) on the emulated cluster — every parallel
// group on its own communicator, its steps timed; rank 0 prints the tables `scalelab job` shows.
//
//   scalelab-job-agent --cluster-file F --rank R --job J [--steps N]   (one process per rank)
//   scalelab-job-agent --inprocess N --domain-size D --job J           (N ranks as threads)
//
// Exit status: 0 ok, 1 wrong data, 2 usage/job file error, 3 CollectiveError (a SCALELAB_ERROR
// {json} line on stderr naming rank, peer, link, tier and the group).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <fmt/format.h>

#include "collectives/cluster.h"
#include "collectives/cluster_table.h"
#include "collectives/setup.h"
#include "emulator/job/job_spec.h"
#include "job/job_runner.h"
#include "job/job_table.h"

using namespace scalelab::agent;
namespace job = scalelab::job;

namespace {

struct Args {
  std::string cluster_file, job_file, json, transport = "auto";
  int rank = -1, inprocess = 0, domain_size = 0, steps = 5, warmup_steps = 1, check = 1;
  long timeout_ms = -1, connect_timeout_ms = -1;
  double duration_s = 0;
  bool events = false;
};

std::mutex g_out_mu;

void print_lines(const std::vector<std::string>& lines) {
  std::lock_guard lk(g_out_mu);
  for (const auto& l : lines) std::printf("%s\n", l.c_str());
  std::fflush(stdout);
}

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtol(v, nullptr, 10) : dflt;
}

void on_stop_signal(int signo) { request_stop(signo); }

// Ports: the world communicator uses base_port + rank; the groups of kind k base_port + (k+1) ×
// world + group rank, so no two communicators of a rank share a port.
int port_offset(job::GroupKind k, int world) { return (static_cast<int>(k) + 1) * world; }

struct Shared {
  Args a;
  ClusterInfo cluster;
  job::JobSpec spec;
  job::Layout layout;
  TransportKind requested = TransportKind::automatic;
  ConnectOptions copts;
  // --inprocess: one fabric per group, made by whichever member asks first.
  std::shared_ptr<InProcessFabric> world_fabric;
  std::mutex fabrics_mu;
  std::map<std::pair<int, int>, std::shared_ptr<InProcessFabric>> fabrics;
};

std::string tier_text(const TransportPlan& plan) {
  return fmt::format("scale_up={} scale_out={}", transport_kind_name(plan.scale_up.kind), transport_kind_name(plan.scale_out.kind));
}

int run_rank(Shared& s, int rank) {
  const bool inproc = s.world_fabric != nullptr;
  TransportPlan plan;
  std::unique_ptr<Comm> world;
  if (inproc) {
    plan.scale_up.kind = plan.scale_out.kind = TransportKind::inprocess;
    world = connect_inprocess_comm(s.world_fabric, s.cluster, rank, s.copts.comm, s.copts.connect_timeout);
  } else {
    plan = plan_transports(s.cluster, rank, s.requested);
    auto o = s.copts;
    o.peers = peers_needed(s.cluster, rank, false, Algo::ring);
    o.tcp.listen_fd = inherited_listen_fd();  // the world's port; each group listens on its own
    world = connect_comm(s.cluster, rank, plan, o);
  }
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);

  GroupConnector connect = [&](const job::Group& g) -> std::unique_ptr<Comm> {
    const ClusterInfo sub = sub_cluster(s.cluster, g.members, port_offset(g.kind, s.cluster.world_size));
    const int me = s.layout.group_rank(g.kind, rank);
    if (inproc) {
      std::shared_ptr<InProcessFabric> f;
      {
        std::lock_guard lk(s.fabrics_mu);
        auto& slot = s.fabrics[{static_cast<int>(g.kind), g.index}];
        if (!slot) slot = std::make_shared<InProcessFabric>(sub.world_size);
        f = slot;
      }
      return connect_inprocess_comm(f, sub, me, s.copts.comm, s.copts.connect_timeout);
    }
    auto o = s.copts;
    o.peers = peers_needed(domains_of(sub), me, g.kind == job::GroupKind::ep, Algo::automatic);
    return connect_comm(sub, me, plan, o);
  };
  if (rank == 0) {
    std::vector<std::string> head = {
        fmt::format("# scalelab job {} ({}): {} on cluster {} ({} ranks), dilation {:g}", s.spec.name, s.spec.source,
                    s.layout.describe(), s.cluster.name, s.cluster.world_size, s.cluster.dilation),
        fmt::format("# Transport: {}; timeout {} ms per blocking step; {} warm-up step(s) (data checked: {}), {} timed",
                    tier_text(plan), static_cast<long long>(s.copts.comm.step_timeout.count()), s.a.warmup_steps,
                    s.a.check ? "yes" : "no", s.a.steps)};
    for (job::GroupKind k : job::kGroupKinds) {
      const auto& g = s.layout.group_of(k, 0);
      if (g.members.size() > 1)
        head.push_back(fmt::format("#   {} group of rank 0: ranks {}", job::group_kind_name(k), fmt::join(g.members, ",")));
    }
    print_lines(head);
  }
  JobOptions jo;
  jo.steps = s.a.steps;
  jo.warmup_steps = s.a.warmup_steps;
  jo.dilation = s.cluster.dilation;
  jo.check = s.a.check != 0;
  jo.duration_s = s.a.duration_s;
  if (s.a.events)
    jo.on_step = [](const StepEvent& e) {
      const nlohmann::json j = {{"rank", e.rank}, {"iter", e.step}, {"warmup", e.warmup}, {"start_unix", e.start_unix},
                                {"end_unix", e.end_unix}, {"bytes", e.bytes}, {"busbw_GBps", e.throughput_GBps},
                                {"algbw_GBps", e.throughput_GBps}, {"step_ms", (e.end_unix - e.start_unix) * 1e3}};
      print_lines({"SCALELAB_EVENT " + j.dump()});
    };
  const auto dtype = parse_dtype(s.spec.dtype).value_or(DType::bfloat16);
  const auto phases = job::phase_names(s.spec, s.layout);
  auto tier_of = [&](int a, int b) { return std::string(tier_name(tier_between(s.cluster, a, b))); };
  const JobReport report = run_job(*world, connect, s.spec, s.layout, dtype, jo, tier_of);
  if (rank == 0) {
    std::vector<std::string> out = {"#"};
    for (const auto& h : job_step_header(phases)) out.push_back(h);
    for (const auto& st : report.steps) out.push_back(job_step_row(st, s.cluster.dilation));
    out.push_back("#");
    for (const auto& l : job_group_table(report, s.cluster.dilation)) out.push_back(l);
    out.push_back("#");
    for (const auto& l : job_summary(report, phases, s.cluster.dilation)) out.push_back(l);
    print_lines(out);
    if (!s.a.json.empty()) {
      auto j = report_json(report, s.cluster.dilation);
      j["job"] = s.spec.name;
      j["job_file"] = s.spec.source;
      j["cluster"] = s.cluster.name;
      j["world_size"] = s.cluster.world_size;
      j["layout"] = {{"tp", s.layout.parallel.tp}, {"pp", s.layout.parallel.pp}, {"dp", s.layout.parallel.dp}, {"ep", s.layout.parallel.ep}};
      j["phases"] = phases;
      j["transport"] = {{"scale_up", transport_kind_name(plan.scale_up.kind)}, {"scale_out", transport_kind_name(plan.scale_out.kind)}};
      std::ofstream f(s.a.json);
      if (!f) throw std::runtime_error("cannot write " + s.a.json);
      f << j.dump(2) << "\n";
    }
  }
  world->close();
  return report.wrong > 0 ? 1 : 0;
}

void report_error(const CollectiveError& e) {
  std::lock_guard lk(g_out_mu);
  std::fflush(stdout);
  std::fprintf(stderr, "SCALELAB_ERROR %s\n", e.json().c_str());
  std::fflush(stderr);
}

}  // namespace

int main(int argc, char** argv) {
  Shared s;
  Args& a = s.a;
  CLI::App app{"scalelab-job-agent: one rank of a training job (jobs/*.json) on the emulated cluster"};
  app.add_option("--job", a.job_file, "job file (jobs/llama-3d.json, …)")->required();
  app.add_option("--cluster-file", a.cluster_file, "cluster file written by the runtime (env SCALELAB_CLUSTER_FILE)");
  app.add_option("--rank", a.rank, "this process's rank (env SCALELAB_RANK or RANK)");
  app.add_option("--inprocess", a.inprocess, "run N ranks as threads over the in-process transport (no cluster file)");
  app.add_option("--domain-size", a.domain_size, "with --inprocess: scale-up domains of this many consecutive ranks");
  app.add_option("--steps", a.steps, "timed steps")->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--warmup-steps", a.warmup_steps, "untimed steps first (their data is checked)")->capture_default_str()->check(CLI::Range(0, 1000));
  app.add_option("-c,--check", a.check, "check every operation's data on the warm-up steps (0 = off)")->capture_default_str();
  app.add_option("--transport", a.transport, "auto | tcp | verbs")->capture_default_str();
  app.add_option("--timeout-ms", a.timeout_ms, "deadline of every blocking step, pipeline waits included (env SCALELAB_TIMEOUT_MS; 10000)");
  app.add_option("--connect-timeout-ms", a.connect_timeout_ms, "deadline to connect every group (env SCALELAB_CONNECT_TIMEOUT_MS; 30000)");
  app.add_option("--json", a.json, "rank 0 writes every figure to this file");
  app.add_option("--duration-s", a.duration_s, "timed steps until this many seconds have passed (instead of --steps; drills)");
  app.add_flag("--events", a.events, "every rank prints a SCALELAB_EVENT {json} line per step (busbw_GBps: the bytes it moved ÷ step time)");
  CLI11_PARSE(app, argc, argv);
  try {
    auto tk = parse_transport_kind(a.transport);
    if (!tk || *tk == TransportKind::inprocess) throw std::invalid_argument("unknown transport '" + a.transport + "' (auto, tcp, verbs)");
    s.requested = *tk;
    const long tmo = a.timeout_ms >= 0 ? a.timeout_ms : env_long("SCALELAB_TIMEOUT_MS", 10000);
    const long ctmo = a.connect_timeout_ms >= 0 ? a.connect_timeout_ms : env_long("SCALELAB_CONNECT_TIMEOUT_MS", 30000);
    if (tmo <= 0 || ctmo <= 0) throw std::invalid_argument("timeouts must be > 0 ms");
    s.copts.comm.step_timeout = Millis(tmo);
    s.copts.connect_timeout = Millis(ctmo);
    if (a.inprocess > 0) {
      s.cluster = make_inprocess_cluster(a.inprocess, a.domain_size);
    } else {
      if (a.cluster_file.empty())
        a.cluster_file = cluster_file_from_environment();
      if (a.cluster_file.empty()) throw std::invalid_argument("need --cluster-file (or SCALELAB_CLUSTER_TABLE / SCALELAB_CLUSTER_FILE), or --inprocess N");
      if (a.rank < 0) a.rank = static_cast<int>(env_long("SCALELAB_RANK", env_long("RANK", -1)));
      s.cluster = load_cluster_file(a.cluster_file);
      if (a.rank < 0 || a.rank >= s.cluster.world_size)
        throw std::invalid_argument(fmt::format("need --rank in [0, {}) (or SCALELAB_RANK / RANK)", s.cluster.world_size));
    }
    s.spec = job::load_job(a.job_file);
    s.layout = job::make_layout(s.spec.parallel, domains_of(s.cluster), s.spec.source);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab-job-agent: error: %s\n", e.what());
    return 2;
  }
  auto one = [&](int r) {
    try {
      return run_rank(s, r);
    } catch (const CollectiveError& e) {
      report_error(e);
      if (s.world_fabric) s.world_fabric->fail(r, e.info().cause);
      return 3;
    } catch (const std::exception& e) {
      std::lock_guard lk(g_out_mu);
      std::fprintf(stderr, "scalelab-job-agent: rank %d: error: %s\n", r, e.what());
      return 2;
    }
  };
  if (a.inprocess <= 0) return one(a.rank);
  s.world_fabric = std::make_shared<InProcessFabric>(a.inprocess);
  std::vector<int> status(a.inprocess, 0);
  std::vector<std::thread> threads;
  for (int r = 0; r < a.inprocess; ++r) threads.emplace_back([&, r] { status[r] = one(r); });
  for (auto& t : threads) t.join();
  int worst = 0;
  for (int x : status) worst = std::max(worst, x);
  return worst;
}
