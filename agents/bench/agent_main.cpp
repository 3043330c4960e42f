// scalelab-agent: nccl-tests-style collective benchmark over tcp / verbs / in-process transports.
//
//   scalelab-agent --cluster-file F --rank R <collective> [nccl-tests flags]   (one process per rank)
//   scalelab-agent --inprocess N <collective> [flags]                        (N ranks as threads)
//   ... --duration-s D [-b S -e S]    one size, repeated for D seconds (failure drills)
//   ... --events                      one `SCALELAB_EVENT {json}` line per timed iteration, every rank
//
// Exit status: 0 ok, 1 wrong results, 2 usage/configuration error, 3 CollectiveError (every rank
// prints one `SCALELAB_ERROR {json}` line on stderr).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/printf.h>
#include <nlohmann/json.hpp>

#include "bench/benchmark.h"
#include "bench/startup.h"
#include "collectives/cluster.h"
#include "collectives/cluster_table.h"
#include "collectives/setup.h"

using namespace scalelab::agent;

namespace {

struct Args {
  std::string collective;
  std::string cluster_file;
  int rank = -1;
  int inprocess = 0;
  int domain_size = 0;
  std::string minbytes = "32M", maxbytes = "32M", stepbytes = "1M";
  std::size_t stepfactor = 1;
  int iters = 20, warmup = 5, check = 1, root = 0;
  std::string op = "sum", dtype = "float", algo = "auto", transport = "auto";
  long timeout_ms = -1, connect_timeout_ms = -1;
  std::string chunk = "1M";
  std::string sockbuf = "4M";
  std::string json;
  double duration_s = 0;
  bool events = false;
};

std::mutex g_err_mu;  // serializes whole lines of every rank (threads in --inprocess mode)

void report_error(const CollectiveError& e) {
  std::lock_guard lk(g_err_mu);
  std::fflush(stdout);
  std::fprintf(stderr, "SCALELAB_ERROR %s\n", e.json().c_str());
  std::fflush(stderr);
}

// Once connected, SIGTERM/SIGINT make the pending wait throw a CollectiveError (exit 3 with a
// SCALELAB_ERROR line naming what this rank was waiting for) instead of dying silently: a launcher
// that stops the other ranks after the first failure still gets every rank's view. No SA_RESTART,
// so a blocking poll() returns at once.
void on_stop_signal(int signo) { request_stop(signo); }

void install_stop_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

long env_long(const char* name, long dflt) {
  const char* v = std::getenv(name);
  if (!v || !*v) return dflt;
  char* end = nullptr;
  const long x = std::strtol(v, &end, 10);
  if (*end) throw std::invalid_argument(fmt::format("{}={} is not an integer", name, v));
  return x;
}

struct Run {
  Args a;
  BenchConfig cfg;
  ClusterInfo cluster;
  TransportKind requested = TransportKind::automatic;
  ConnectOptions copts;
  StartupStamps stamps;  // started_us and loaded_us; connected_us per rank in run_rank
};

struct Gathered {
  std::vector<std::string> lines;  // "Using devices", by rank
  StartupSummary startup;
};

std::string step_text(const BenchConfig& c) {
  return c.stepfactor > 1 ? fmt::format("{}(factor)", c.stepfactor) : fmt::format("{}(bytes)", c.stepbytes);
}

std::string algo_text(const Run& run, Comm& comm) {
  return fmt::format("{} (requested {})", algo_name(resolve_algo(comm.domains(), run.cfg.algo)), algo_name(run.cfg.algo));
}

std::string tier_transports(const TransportPlan& plan) {
  std::string s;
  for (Tier t : {Tier::scale_up, Tier::scale_out}) {
    const auto& tt = plan.of(t);
    s += fmt::format("{}{}={}{}{}", s.empty() ? "" : " ", tier_name(t), transport_kind_name(tt.kind),
                     tt.kind == TransportKind::verbs && !tt.device.empty() ? "(" + tt.device + ")" : "",
                     tt.used ? "" : "(unused)");
  }
  return s;
}

// Rank 0's single header line in --events mode (the events are the output).
void print_events_header(const Run& run, Comm& comm, const TransportPlan& plan) {
  const auto& cfg = run.cfg;
  std::string mode = cfg.duration_s > 0 ? fmt::format("duration_s {:g} bytes {}", cfg.duration_s, cfg.minbytes)
                                        : fmt::format("sweep minBytes {} maxBytes {} step {} iters {}", cfg.minbytes,
                                                      cfg.maxbytes, step_text(cfg), cfg.iters);
  std::string line = fmt::format("# scalelab-agent {} events: cluster {} nranks {} {} warmup {} op {} datatype {}",
                                 collective_name(cfg.coll), run.cluster.name, comm.size(), mode, cfg.warmup,
                                 op_name(cfg.op), dtype_name(cfg.dtype));
  if (cfg.coll == Collective::all_reduce) line += " algo " + algo_text(run, comm);
  line += fmt::format(" transport {} timeout_ms {} chunk {}", tier_transports(plan),
                      static_cast<long long>(comm.options().step_timeout.count()), comm.options().chunk_bytes);
  std::lock_guard lk(g_err_mu);
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

void print_event(const IterationEvent& e) {
  const std::string line = format_event(e) + "\n";
  std::lock_guard lk(g_err_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// Rank 0's header: nccl-tests' first lines, the cluster, the algorithm, the transport per tier, the ranks.
void print_header(const Run& run, Comm& comm, const TransportPlan& plan, const Gathered& gathered,
                  bool table = true) {
  const auto& cfg = run.cfg;
  if (cfg.duration_s > 0)
    std::printf("# scalelab-agent %s: nranks %d bytes %zu duration: %g s warmup iters: %d validation: %d (every iteration)\n",
                std::string(collective_name(cfg.coll)).c_str(), comm.size(), cfg.minbytes, cfg.duration_s, cfg.warmup,
                cfg.check);
  else
    std::printf("# scalelab-agent %s: nranks %d minBytes %zu maxBytes %zu step: %s warmup iters: %d iters: %d agg iters: 1 "
                "validation: %d graph: 0\n",
                std::string(collective_name(cfg.coll)).c_str(), comm.size(), cfg.minbytes, cfg.maxbytes,
                step_text(cfg).c_str(), cfg.warmup, cfg.iters, cfg.check);
  std::printf("#\n");
  std::printf("# Cluster: %s  world_size %d  dilation %g  base_port %u\n", run.cluster.name.c_str(),
              run.cluster.world_size, run.cluster.dilation, static_cast<unsigned>(run.cluster.base_port));
  std::printf("# Collective: %s  op: %s  datatype: %s  root: %d", std::string(collective_name(cfg.coll)).c_str(),
              std::string(op_name(cfg.op)).c_str(), std::string(dtype_name(cfg.dtype)).c_str(), cfg.root);
  if (cfg.coll == Collective::all_reduce)
    std::printf("  algo: %s (requested %s)", std::string(algo_name(resolve_algo(comm.domains(), cfg.algo))).c_str(),
                std::string(algo_name(cfg.algo)).c_str());
  std::printf("\n");
  std::printf("# Transport: %s\n", plan.summary().c_str());
  for (Tier t : {Tier::scale_up, Tier::scale_out}) {
    const auto& tt = plan.of(t);
    if (tt.kind == TransportKind::verbs)
      std::printf("#   %s: RDMA device %s\n", std::string(tier_name(t)).c_str(), tt.device.empty() ? "?" : tt.device.c_str());
    if (!tt.used) std::printf("#   %s: no peers of rank 0 on this tier\n", std::string(tier_name(t)).c_str());
  }
  std::printf("# Timeout: %lld ms per blocking step, %lld ms to connect; pipeline chunk %zu B\n",
              static_cast<long long>(comm.options().step_timeout.count()),
              static_cast<long long>(run.copts.connect_timeout.count()), comm.options().chunk_bytes);
  std::printf("#\n# Using devices\n");
  for (const auto& l : gathered.lines) std::printf("%s\n", l.c_str());
  std::printf("#\n%s\n#\n", format_startup(gathered.startup).c_str());
  if (table)
    for (const auto& h : table_header()) std::printf("%s\n", h.c_str());
  std::fflush(stdout);
}

// This rank's "Using devices" line; rank 0 gathers everyone's through the comm.
std::string rank_line(const Run& run, int rank, const TransportPlan& plan) {
  const RankInfo& ri = run.cluster.ranks.at(rank);
  std::string eps;
  if (ri.scale_up) eps += fmt::format(" scale_up {} {}", ri.scale_up->ifname, ri.scale_up->address);
  if (ri.scale_out)
    eps += fmt::format(" scale_out {} {}{}", ri.scale_out->ifname, ri.scale_out->address,
                       ri.scale_out->leaf.empty() ? "" : " (" + ri.scale_out->leaf + ")");
  return fmt::sprintf("#  Rank %2d Group  0 Pid %6d on %10s device %2d [host %d domain %d%s]%s transport %s", rank,
                      static_cast<int>(::getpid()), ri.node, std::max(ri.local_rank, 0), ri.host, ri.domain,
                      ri.netns.empty() ? std::string() : " netns " + ri.netns, eps, plan.summary());
}

// One gather to rank 0 over the hierarchy's tree carries every rank's line and start-up stamps.
Gathered gather_rank_info(Comm& comm, const std::string& line, const StartupStamps& mine) {
  constexpr std::size_t W = 512, kLine = W - sizeof(StartupStamps);
  std::string buf = line.substr(0, kLine - 1);
  buf.resize(W, '\0');
  std::memcpy(buf.data() + kLine, &mine, sizeof mine);
  const auto all = gather_to_root(comm, buf.data(), W);
  const std::int64_t gathered = wall_clock_us();
  Gathered g;
  if (all.empty()) return g;  // only rank 0 prints them
  std::vector<StartupStamps> stamps(comm.size());
  for (int r = 0; r < comm.size(); ++r) {
    const char* at = reinterpret_cast<const char*>(all.data()) + r * W;
    g.lines.emplace_back(at, ::strnlen(at, kLine));
    std::memcpy(&stamps[r], at + kLine, sizeof(StartupStamps));
  }
  g.startup = summarize_startup(stamps, gathered);
  return g;
}

nlohmann::json json_common(const Run& run, Comm& comm, const TransportPlan& plan, const StartupSummary& startup) {
  nlohmann::json j;
  j["startup"] = startup_json(startup);
  j["collective"] = collective_name(run.cfg.coll);
  j["world_size"] = comm.size();
  j["cluster"] = run.cluster.name;
  j["dilation"] = run.cluster.dilation;
  j["datatype"] = dtype_name(run.cfg.dtype);
  j["op"] = op_name(run.cfg.op);
  j["root"] = run.cfg.root;
  if (run.cfg.coll == Collective::all_reduce) j["algo"] = algo_name(resolve_algo(comm.domains(), run.cfg.algo));
  j["transport"] = {{"scale_up", transport_kind_name(plan.scale_up.kind)},
                    {"scale_out", transport_kind_name(plan.scale_out.kind)}};
  j["warmup_iters"] = run.cfg.warmup;
  j["check"] = run.cfg.check;
  return j;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream f(path);
  if (!f) throw std::runtime_error("cannot write " + path);
  f << j.dump(2) << "\n";
}

// --duration-s: the loop; rank 0 prints a summary unless --events. Returns the exit status.
int run_duration(const Run& run, int rank, Comm& comm, const TransportPlan& plan, const EventSink& sink,
                 const StartupSummary& startup) {
  const LoopReport rep = run_loop(comm, run.cfg, sink);
  if (rank == 0) {
    if (!run.a.events) {
      std::printf("# Loop: %ld iterations in %.3f s at %zu B: time %s us  algbw %.2f GB/s  busbw %.2f GB/s  #wrong %s\n",
                  rep.iterations, rep.seconds, rep.bytes, format_time_us(rep.time_us).c_str(), rep.algbw, rep.busbw,
                  rep.wrong < 0 ? "N/A" : std::to_string(rep.wrong).c_str());
      std::printf("%s", table_footer(rep.wrong > 0 ? 1 : 0, rep.busbw).c_str());
      std::fflush(stdout);
    }
    if (!run.a.json.empty()) {
      nlohmann::json j = json_common(run, comm, plan, startup);
      j["duration_s"] = run.cfg.duration_s;
      j["size"] = rep.bytes;
      j["iterations"] = rep.iterations;
      j["seconds"] = rep.seconds;
      j["time_us"] = rep.time_us;
      j["algbw_GBps"] = rep.algbw;
      j["busbw_GBps"] = rep.busbw;
      j["projected_busbw_GBps"] = rep.busbw * run.cluster.dilation;
      j["wrong"] = rep.wrong < 0 ? nlohmann::json(nullptr) : nlohmann::json(rep.wrong);
      write_json(run.a.json, j);
    }
  }
  comm.close();
  return rep.wrong > 0 ? 1 : 0;
}

// The whole run of one rank. Returns the exit status.
int run_rank(const Run& run, int rank, const std::shared_ptr<InProcessFabric>& fabric) {
  std::unique_ptr<Comm> comm;
  TransportPlan plan;
  if (fabric) {
    plan.scale_up.kind = plan.scale_out.kind = TransportKind::inprocess;
    plan.scale_up.used = run.cluster.ranks.at(rank).domain >= 0 && run.a.domain_size > 1;
    comm = connect_inprocess_comm(fabric, run.cluster, rank, run.copts.comm, run.copts.connect_timeout);
  } else {
    plan = plan_transports(run.cluster, rank, run.requested);
    auto copts = run.copts;
    copts.peers = peers_needed(run.cluster, rank, run.cfg.coll == Collective::alltoall, run.cfg.algo);
    copts.tcp.listen_fd = inherited_listen_fd();
    comm = connect_comm(run.cluster, rank, plan, copts);
  }
  install_stop_handlers();
  StartupStamps stamps = run.stamps;
  stamps.connected_us = wall_clock_us();
  stamps.redialled = comm->redialled();
  const Gathered gathered = gather_rank_info(*comm, rank_line(run, rank, plan), stamps);
  const bool events = run.a.events;
  if (rank == 0) {
    if (events)
      print_events_header(run, *comm, plan);
    else
      print_header(run, *comm, plan, gathered, /*table=*/run.cfg.duration_s <= 0);
  }
  const EventSink sink = events ? EventSink(print_event) : EventSink();
  if (run.cfg.duration_s > 0) return run_duration(run, rank, *comm, plan, sink, gathered.startup);
  const auto rep = run_benchmark(
      *comm, run.cfg,
      [&](const Row& r) {
        if (rank != 0 || events) return;
        std::printf("%s\n", format_row(r).c_str());
        std::fflush(stdout);
      },
      sink);
  if (rank == 0) {
    if (!events) {
      std::printf("%s", table_footer(rep.errors, rep.avg_busbw).c_str());
      std::fflush(stdout);
    }
    if (!run.a.json.empty()) {
      nlohmann::json j = json_common(run, *comm, plan, gathered.startup);
      j["iters"] = run.cfg.iters;
      j["rows"] = nlohmann::json::array();
      for (const auto& r : rep.rows) j["rows"].push_back(row_json(r, run.cluster.dilation));
      j["out_of_bounds"] = rep.errors;
      j["avg_busbw_GBps"] = rep.avg_busbw;
      j["projected_avg_busbw_GBps"] = rep.avg_busbw * run.cluster.dilation;
      write_json(run.a.json, j);
    }
  }
  comm->close();
  return rep.errors ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t started_us = wall_clock_us();
  Args a;
  CLI::App app{"scalelab-agent: nccl-tests-style collectives over tcp, verbs or in-process transports"};
  app.add_option("collective", a.collective,
                 "all_reduce | all_gather | reduce_scatter | broadcast | alltoall | sendrecv")
      ->required();
  app.add_option("--cluster-file", a.cluster_file, "cluster file written by the runtime (env SCALELAB_CLUSTER_FILE)");
  app.add_option("--rank", a.rank, "this process's rank (env SCALELAB_RANK or RANK)");
  app.add_option("--inprocess", a.inprocess, "run N ranks as threads over the in-process transport (no cluster file)");
  app.add_option("--domain-size", a.domain_size, "with --inprocess: scale-up domains of this many consecutive ranks");
  app.add_option("-b,--minbytes", a.minbytes, "minimum size in bytes (K/M/G suffixes)")->capture_default_str();
  app.add_option("-e,--maxbytes", a.maxbytes, "maximum size in bytes")->capture_default_str();
  app.add_option("-i,--stepbytes", a.stepbytes, "size increment when stepfactor <= 1")->capture_default_str();
  app.add_option("-f,--stepfactor", a.stepfactor, "size multiplier")->capture_default_str();
  app.add_option("-n,--iters", a.iters, "timed iterations")->capture_default_str();
  app.add_option("-w,--warmup_iters", a.warmup, "warm-up iterations")->capture_default_str();
  app.add_option("-c,--check", a.check, "check the result this many times (0 = off)")->capture_default_str();
  app.add_option("-o,--op", a.op, "sum | max | min")->capture_default_str();
  app.add_option("-d,--datatype", a.dtype, "float | half | bfloat16 | int32")->capture_default_str();
  app.add_option("-r,--root", a.root, "broadcast root")->capture_default_str();
  app.add_option("--algo", a.algo, "all_reduce algorithm: ring | hier | tree | auto")->capture_default_str();
  app.add_option("--transport", a.transport, "auto | tcp | verbs")->capture_default_str();
  app.add_option("--timeout-ms", a.timeout_ms, "deadline of every blocking step (env SCALELAB_TIMEOUT_MS; 2000)");
  app.add_option("--connect-timeout-ms", a.connect_timeout_ms,
                 "deadline for connecting to every peer (env SCALELAB_CONNECT_TIMEOUT_MS; 30000)");
  app.add_option("--chunk-bytes", a.chunk, "pipeline chunk size")->capture_default_str();
  app.add_option("--socket-buffer-bytes", a.sockbuf, "tcp: SO_SNDBUF/SO_RCVBUF of every connection (0 = kernel autotuning)")
      ->capture_default_str();
  app.add_option("--json", a.json, "rank 0 writes the rows (plus projected_busbw_GBps) to this file");
  app.add_option("--duration-s", a.duration_s,
                 "loop mode: run one size (-b must equal -e) repeatedly for this many seconds after the warm-ups; "
                 "rank 0 decides when to stop, so every rank runs the same number of iterations");
  app.add_flag("--events", a.events,
               "every rank prints one SCALELAB_EVENT {json} line per timed iteration (no nccl table)");
  CLI11_PARSE(app, argc, argv);

  Run run;
  run.stamps.started_us = started_us;
  try {
    run.a = a;
    auto coll = parse_collective(a.collective);
    if (!coll) throw std::invalid_argument("unknown collective '" + a.collective + "'");
    run.cfg.coll = *coll;
    auto dt = parse_dtype(a.dtype);
    if (!dt) throw std::invalid_argument("unknown datatype '" + a.dtype + "' (float, half, bfloat16, int32)");
    run.cfg.dtype = *dt;
    auto op = parse_op(a.op);
    if (!op) throw std::invalid_argument("unknown op '" + a.op + "' (sum, max, min)");
    run.cfg.op = *op;
    auto algo = parse_algo(a.algo);
    if (!algo) throw std::invalid_argument("unknown algo '" + a.algo + "' (ring, hier, auto)");
    run.cfg.algo = *algo;
    auto tk = parse_transport_kind(a.transport);
    if (!tk || *tk == TransportKind::inprocess)
      throw std::invalid_argument("unknown transport '" + a.transport + "' (auto, tcp, verbs; use --inprocess N)");
    run.requested = *tk;
    auto mn = parse_size(a.minbytes), mx = parse_size(a.maxbytes), st = parse_size(a.stepbytes),
         ch = parse_size(a.chunk), sb = parse_size(a.sockbuf);
    if (!mn || !mx || !st || !ch || !sb) throw std::invalid_argument("bad size (use e.g. 8, 1K, 32M, 1G)");
    run.cfg.minbytes = *mn;
    run.cfg.maxbytes = *mx;
    run.cfg.stepbytes = *st;
    run.cfg.stepfactor = a.stepfactor;
    run.cfg.iters = a.iters;
    run.cfg.warmup = a.warmup;
    run.cfg.check = a.check;
    run.cfg.root = a.root;
    run.cfg.duration_s = a.duration_s;
    validate_config(run.cfg);
    const long tmo = a.timeout_ms >= 0 ? a.timeout_ms : env_long("SCALELAB_TIMEOUT_MS", 2000);
    const long ctmo = a.connect_timeout_ms >= 0 ? a.connect_timeout_ms : env_long("SCALELAB_CONNECT_TIMEOUT_MS", 30000);
    if (tmo <= 0 || ctmo <= 0) throw std::invalid_argument("timeouts must be > 0 ms");
    run.copts.comm.step_timeout = Millis(tmo);
    run.copts.comm.chunk_bytes = std::max<std::size_t>(*ch, 64);
    run.copts.connect_timeout = Millis(ctmo);
    if (*sb > (1u << 30)) throw std::invalid_argument("--socket-buffer-bytes must be <= 1G");
    run.copts.tcp.socket_buffer_bytes = static_cast<int>(*sb);

    if (a.inprocess > 0) {
      if (run.requested != TransportKind::automatic)
        throw std::invalid_argument("--inprocess always uses the in-process transport; --transport " + a.transport +
                                    " needs --cluster-file");
      run.cluster = make_inprocess_cluster(a.inprocess, a.domain_size);
    } else {
      if (a.cluster_file.empty()) {
        a.cluster_file = cluster_file_from_environment();
      }
      if (a.cluster_file.empty())
        throw std::invalid_argument("need --cluster-file (or SCALELAB_CLUSTER_TABLE / SCALELAB_CLUSTER_FILE), or --inprocess N");
      if (a.rank < 0) a.rank = static_cast<int>(env_long("SCALELAB_RANK", env_long("RANK", -1)));
      run.a = a;
      run.cluster = load_cluster_file(a.cluster_file);
      if (a.rank < 0 || a.rank >= run.cluster.world_size)
        throw std::invalid_argument(fmt::format("need --rank in [0, {}) (or SCALELAB_RANK / RANK)", run.cluster.world_size));
    }
    if (run.cfg.root < 0 || run.cfg.root >= run.cluster.world_size)
      throw std::invalid_argument(fmt::format("root {} out of range [0, {})", run.cfg.root, run.cluster.world_size));
    if (run.cfg.coll == Collective::all_reduce) resolve_algo(domains_of(run.cluster), run.cfg.algo);  // validate
    run.stamps.loaded_us = wall_clock_us();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab-agent: error: %s\n", e.what());
    return 2;
  }

  if (a.inprocess > 0) {
    auto fabric = std::make_shared<InProcessFabric>(a.inprocess);
    std::vector<int> status(a.inprocess, 0);
    std::vector<std::thread> threads;
    for (int r = 0; r < a.inprocess; ++r) {
      threads.emplace_back([&, r] {
        try {
          status[r] = run_rank(run, r, fabric);
        } catch (const CollectiveError& e) {
          report_error(e);
          fabric->fail(r, e.info().cause);
          status[r] = 3;
        } catch (const std::exception& e) {
          std::lock_guard lk(g_err_mu);
          std::fprintf(stderr, "scalelab-agent: rank %d: error: %s\n", r, e.what());
          fabric->fail(r, e.what());
          status[r] = 2;
        }
      });
    }
    for (auto& t : threads) t.join();
    int worst = 0;
    for (int s : status) worst = std::max(worst, s);
    return worst;
  }

  try {
    return run_rank(run, a.rank, nullptr);
  } catch (const CollectiveError& e) {
    report_error(e);
    return 3;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "scalelab-agent: rank %d: error: %s\n", a.rank, e.what());
    return 2;
  }
}
