#pragma once
// A live emulated cluster. Cluster::up() creates it and the object owns it: its destructor takes
// it down (namespaces, links, qdiscs, recorded processes), also when a test throws.
// Cluster::attach() names a cluster someone else brought up and never takes it down.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scalelab/bench.h"
#include "scalelab/errors.h"
#include "scalelab/fault.h"
#include "scalelab/job.h"

namespace scalelab {

struct PlanSummary;

struct UpOptions {
  std::optional<std::string> name;  // instead of the file's "name" ([a-z0-9][a-z0-9-]{0,23})
  std::optional<double> dilation;   // instead of the file's (>= 1)
  bool dilation_auto = false;       // measure this machine once, pick the smallest safe dilation
  bool require_netem = false;       // refuse instead of warning when latency cannot be emulated
  std::size_t workers = 4;          // parallel netlink workers
  enum class Rxe { auto_, on, off } rxe = Rxe::auto_;
  std::function<void(const std::string&)> on_progress;  // "dilation auto: …" while it measures
  // Called with the plan once it is made, before anything is created; what it throws, up()
  // throws as it is, with nothing created (`scalelab job` refuses a job that does not fit).
  std::function<void(const PlanSummary&)> before_create;
};

// One step of a bring-up and its wall time (`scalelab up --timings`).
struct PhaseTime {
  std::string phase;        // probe, prepare, namespaces, sysctls, links, link-up, addresses, qdiscs, routes, rxe, files
  double seconds = 0;
  std::size_t objects = 0;  // objects or netlink requests made in it
};

struct UpReport {
  std::string cluster;
  std::vector<PhaseTime> phases;      // in the order they ran; they add up to about `seconds`
  double seconds = 0, dilation = 1;
  std::size_t gpus = 0, namespaces = 0, veth_pairs = 0, qdiscs = 0, routes = 0, addresses = 0, rdma_devices = 0;
  std::vector<std::string> warnings;  // e.g. latencies not applied without netem
  std::vector<std::string> notes;     // host settings changed for the cluster
  std::string cluster_file;           // what agents and workloads read (SCALELAB_CLUSTER_FILE)
};

struct DownReport {
  bool found = false;  // false: it was not up, nothing was done
  std::size_t namespaces_removed = 0, processes_stopped = 0;
};

struct ExecResult {
  int status = -1;                  // 127 when the command was not found
  std::vector<std::string> output;  // stdout and stderr lines
};

// What a topology would become, computed without touching the kernel (no root needed).
struct PlanSummary {
  std::string cluster;
  double dilation = 1;
  std::size_t gpus = 0, namespaces = 0, links = 0, routes = 0;
  std::vector<std::string> nodes;  // namespace node names, GPUs first in rank order
  std::vector<int> gpu_domains;    // each GPU's scale-up domain, in rank order (-1: none)
  nlohmann::json json;             // `scalelab plan --json`
  std::string text;                // `scalelab plan`
};

// Throws TopologyError.
PlanSummary plan_topology(const std::string& topology_file, const std::optional<std::string>& name = std::nullopt);

class Cluster {
 public:
  // Throws NotPermitted, TopologyError, ClusterExists, BringUpError.
  static Cluster up(const std::string& topology_file, const UpOptions& options = {});
  // A cluster already up, not owned. Throws NotFound.
  static Cluster attach(const std::string& name);

  Cluster(Cluster&&) noexcept;
  Cluster& operator=(Cluster&&) noexcept;  // takes down the cluster this one owned first
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  ~Cluster();  // down() when owned; never throws

  const std::string& name() const;
  bool owned() const;
  const UpReport& report() const;  // empty for an attached cluster
  std::size_t gpus() const;
  std::vector<std::string> gpu_nodes() const;  // rank order

  // Read from the kernel: nodes, interfaces, addresses, link state, rates, counters.
  nlohmann::json status() const;
  std::string status_text() const;  // as `scalelab status NAME` prints it

  // One command inside one node's namespace, waited for. Throws NotFound, LaunchError.
  ExecResult exec(const std::string& node, const std::vector<std::string>& argv,
                  std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // The command once per GPU with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, … in its environment;
  // $RANK and ${RANK} in argv are expanded per rank. Throws LaunchError.
  Job run(const std::vector<std::string>& argv, RunOptions options = {}) const;
  // Throws FaultError.
  FaultReport inject(const Fault& fault);
  FaultReport restore(const std::string& target);  // inject(scalelab::restore(target))
  // Throws BenchError when a rank fails or the run times out (the message names the rank).
  BenchResult bench(const BenchOptions& options = {}) const;

  DownReport down();  // takes it down now (owned or not); later calls do nothing
  void release();     // no longer owned: it stays up after this object is gone (`scalelab up`)

 private:
  struct State;
  explicit Cluster(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Every cluster on this machine: name, state, namespaces, source.
nlohmann::json clusters();
// Takes a cluster down by name; found = false when it was not up. Throws NotPermitted.
DownReport down(const std::string& name);
// As `scalelab status NAME` prints a status() value.
std::string status_text(const nlohmann::json& status);

}  // namespace scalelab
