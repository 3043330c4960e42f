// Cluster: up/down RAII over runtime::realize and runtime::down; status, exec, run and inject over
// the runtime and process layers — the same calls the CLI verbs make.
#include "scalelab/cluster.h"

#include <chrono>
#include <fmt/format.h>

#include <algorithm>

#include "emulator/api/fault_apply.h"
#include "emulator/api/job_impl.h"
#include "emulator/api/launch.h"
#include "emulator/api/summary.h"
#include "emulator/api/translate.h"
#include "emulator/model/topology_validation.h"
#include "emulator/model/units.h"
#include "emulator/plan/plan.h"
#include "emulator/process/rank_environment.h"
#include "emulator/runtime/capacity.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/live_cluster.h"
#include "emulator/runtime/realize.h"
#include "emulator/runtime/status.h"
#include "emulator/runtime/teardown.h"

namespace scalelab {

struct Cluster::State {
  std::string name;
  bool owned = false, down = false;
  UpReport report;
};

namespace {

std::string cluster_file_path(const std::string& name) { return locations::state_root() + "/" + name + "/cluster.json"; }

double chosen_dilation(model::Topology& topology, const UpOptions& options) {
  if (options.dilation) {
    if (*options.dilation < 1) throw Error(fmt::format("dilation must be a number >= 1, got {:g}", *options.dilation));
    return *options.dilation;
  }
  if (options.dilation_auto) topology.dilation_auto = true;
  if (!topology.dilation_auto) return 0;  // the file's
  auto progress = [&](const std::string& line) {
    if (options.on_progress) options.on_progress(line);
  };
  auto capacity = runtime::load_capacity();
  if (!capacity) {
    progress("dilation auto: measuring this machine's veth capacity first (scalelab doctor --capacity)…");
    capacity = runtime::measure_capacity(2.0, 2);
    runtime::store_capacity(*capacity);
  }
  double dilation = runtime::auto_dilation(topology, capacity->veth_bps);
  progress(fmt::format("dilation auto: {:g} (busiest collective asks {} of the {} this machine moves; target: under half)", dilation,
                       model::format_bandwidth(runtime::aggregate_demand_bps(topology, dilation)), model::format_bandwidth(capacity->veth_bps)));
  return dilation;
}

// Results would measure the CPU, not the fabric: say so with the figures.
std::optional<std::string> capacity_warning(const model::Topology& topology, const plan::Plan& plan) {
  auto capacity = runtime::load_capacity();
  if (!capacity) return std::nullopt;
  auto demand = runtime::aggregate_demand_bps(topology, plan.dilation);
  if (demand <= capacity->veth_bps / 2) return std::nullopt;
  return fmt::format(
      "at dilation {:g} the busiest collective asks {} of a machine that moves {} through veth (measured {}): "
      "results would measure the CPU, not the fabric. Use --dilation auto or a dilation >= {:g}.",
      plan.dilation, model::format_bandwidth(demand), model::format_bandwidth(capacity->veth_bps), capacity->measured_at,
      runtime::auto_dilation(topology, capacity->veth_bps));
}

model::Topology load(const std::string& file, const std::optional<std::string>& name) {
  return api::translated([&] {
    auto topology = model::load_topology(file);
    if (name) {
      topology.name = *name;
      model::validate_topology(topology);  // the new name must fit the kernel's limits too
    }
    return topology;
  });
}

}  // namespace

Cluster::Cluster(std::unique_ptr<State> state) : state_(std::move(state)) {}
Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&& other) noexcept {
  if (this != &other) {
    if (state_ && state_->owned) down();
    state_ = std::move(other.state_);
  }
  return *this;
}

Cluster::~Cluster() {
  if (!state_ || !state_->owned) return;
  try {
    down();
  } catch (...) {
    // A destructor must not throw; `scalelab down NAME` or `clean` removes what is left.
  }
}

Cluster Cluster::up(const std::string& topology_file, const UpOptions& options) {
  api::require_root("up", "creates network namespaces");
  const auto plan_started = std::chrono::steady_clock::now();
  auto topology = load(topology_file, options.name);
  auto state = std::make_unique<State>();
  auto& report = state->report;
  auto plan = api::translated([&] {
    double dilation = chosen_dilation(topology, options);
    return plan::build_plan(topology, dilation);
  });
  const double plan_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - plan_started).count();
  if (options.before_create) options.before_create(api::summarize(plan));  // what it throws passes as it is
  if (auto w = api::translated([&] { return capacity_warning(topology, plan); })) report.warnings.push_back(*w);
  runtime::RealizeReport realized;
  try {
    using Rxe = runtime::RealizeOptions::Rxe;
    realized = runtime::realize(plan, {options.workers, options.require_netem,
                                       options.rxe == UpOptions::Rxe::on ? Rxe::on : options.rxe == UpOptions::Rxe::off ? Rxe::off : Rxe::auto_});
  } catch (const runtime::ClusterExists& e) {
    throw ClusterExists(e.what());
  } catch (const std::exception& e) {
    throw BringUpError(fmt::format("bringing up {} failed: {}\neverything it had created was removed.", plan.cluster, e.what()));
  }
  state->name = plan.cluster;
  state->owned = true;
  report.cluster = plan.cluster;
  report.seconds = realized.seconds;
  report.dilation = plan.dilation;
  report.gpus = plan.gpu_count();
  report.namespaces = realized.namespaces;
  report.veth_pairs = realized.veths;
  report.qdiscs = realized.qdiscs;
  report.routes = realized.routes;
  report.addresses = realized.addresses;
  report.rdma_devices = realized.rdma_devices;
  report.warnings.insert(report.warnings.end(), realized.warnings.begin(), realized.warnings.end());
  report.notes = realized.notes;
  report.phases.push_back({"plan", plan_seconds, plan.namespaces.size()});  // before `seconds` starts
  for (const auto& p : realized.phases) report.phases.push_back({p.phase, p.seconds, p.objects});
  report.cluster_file = cluster_file_path(plan.cluster);
  return Cluster(std::move(state));
}

Cluster Cluster::attach(const std::string& name) {
  auto state = std::make_unique<State>();
  state->name = name;
  state->report.cluster = name;
  state->report.cluster_file = cluster_file_path(name);
  return Cluster(std::move(state));
}

const std::string& Cluster::name() const { return state_->name; }
bool Cluster::owned() const { return state_->owned; }
const UpReport& Cluster::report() const { return state_->report; }

std::vector<std::string> Cluster::gpu_nodes() const {
  const auto cluster = api::open_cluster(name());
  std::vector<std::string> out;
  for (const auto& r : cluster.file["ranks"]) out.push_back(r["node"].get<std::string>());
  return out;
}

std::size_t Cluster::gpus() const { return gpu_nodes().size(); }

nlohmann::json Cluster::status() const {
  try {
    return runtime::cluster_status(name());
  } catch (const std::exception& e) {
    if (!runtime::ClusterDir::open(name())) throw NotFound(e.what());
    throw Error(e.what());
  }
}

std::string Cluster::status_text() const { return scalelab::status_text(status()); }

ExecResult Cluster::exec(const std::string& node, const std::vector<std::string>& argv, std::chrono::milliseconds timeout) const {
  api::require_root("exec", "enters network namespaces");
  auto dir = runtime::ClusterDir::open(name());
  if (!dir) throw NotFound("no cluster named \"" + name() + "\" is up");
  const std::string netns = plan::netns_name(name(), node);
  const auto journaled = dir->journaled_netns();
  if (std::find(journaled.begin(), journaled.end(), netns) == journaled.end())
    throw NotFound(fmt::format("cluster {} has no node \"{}\" (scalelab status {} lists them)", name(), node, name()));
  auto impl = std::make_unique<Job::Impl>();
  impl->ranks.push_back({-1, node, node});
  impl->start(dir->path("pids"));
  // The node's own hostname and the cluster's /etc/hosts, as `scalelab exec` gives it.
  impl->launch({node, netns, argv,
                {{"SCALELAB_CLUSTER", name()}, {"SCALELAB_NODE", node}, {"SCALELAB_CLUSTER_FILE", dir->path("cluster.json")}},
                {node, dir->path(runtime::kHostsFile)}});
  auto job = Job::Impl::make(std::move(impl));
  const auto& result = job.wait(timeout);
  if (result.timed_out) throw Error(fmt::format("{} on {} did not finish within {} ms and was stopped", argv.empty() ? "" : argv[0], node, timeout.count()));
  return {result.ranks.at(0).status, result.ranks.at(0).output};
}

Job Cluster::run(const std::vector<std::string>& argv, RunOptions options) const {
  api::require_root("run", "enters network namespaces");
  return Job::Impl::launch_ranks(api::open_cluster(name()), [&](const auto& env) {
    std::vector<std::string> expanded;
    for (const auto& a : argv) expanded.push_back(process::expand_variables(a, env));
    return expanded;
  }, std::move(options));
}

FaultReport Cluster::inject(const Fault& fault) {
  api::require_root("inject", "changes kernel state in the cluster's namespaces");
  auto live = api::translated([&] {
    if (!runtime::ClusterDir::open(name())) throw NotFound("no cluster named \"" + name() + "\" is up");
    return runtime::LiveCluster::open(name());
  });
  return api::apply_fault(live, fault);
}

FaultReport Cluster::restore(const std::string& target) { return inject(scalelab::restore(target)); }

DownReport Cluster::down() {
  if (state_->down) return {};
  auto report = scalelab::down(name());
  state_->down = true;
  state_->owned = false;
  return report;
}

void Cluster::release() { state_->owned = false; }

nlohmann::json clusters() {
  return api::translated([] { return runtime::all_clusters_status(); });
}

DownReport down(const std::string& name) {
  api::require_root("down", "removes network namespaces");
  auto report = api::translated([&] { return runtime::down(name); });
  return {report.cluster_found, report.removed_namespaces.size(), report.stopped_pids.size()};
}

std::string status_text(const nlohmann::json& status) { return runtime::status_to_text(status); }

}  // namespace scalelab
