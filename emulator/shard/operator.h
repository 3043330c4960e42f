#pragma once
// The operator's side of a cluster across machines: it sends each machine its spec over
// OpenSSH (`scalelab shard up` there, JSON back), keeps one record of where the cluster lives,
// and takes every shard down again, also when a machine fails or is lost half-way. No daemon:
// each verb is one ssh command per machine.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "emulator/model/topology.h"
#include "emulator/shard/machines.h"
#include "emulator/shard/partition.h"

namespace scalelab::shard {

class ShardFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct RemoteResult {
  std::string machine;
  int status = -1;        // ssh's: the remote command's, or 255 when ssh itself failed
  bool timed_out = false;
  std::string out, err;
  bool ok() const { return status == 0 && !timed_out; }
  std::string describe() const;  // "machine m2 (root@…): <why>"
};

struct UpAcross {
  std::string cluster;
  double seconds = 0;
  Partition cut;
  std::vector<nlohmann::json> shards;  // each machine's `shard up` report, in machine order
};

// Claims the name (one record per cluster on the operator), brings every shard up in parallel;
// on any failure takes down every shard, removes the record and throws ShardFailure naming the
// machine and what it said.
UpAcross up_across(const model::Topology& topology, const Machines& machines, std::chrono::seconds timeout);

struct DownAcross {
  std::vector<RemoteResult> machines;
  std::size_t namespaces_removed = 0;
  bool complete() const;  // every machine answered; else the record stays for another `down`
};
DownAcross down_across(const std::string& cluster);

// The record `up_across` keeps: topology, machines (with ssh options), vni_base. Empty when the
// cluster is not one across machines.
std::optional<nlohmann::json> across_record(const std::string& cluster);
std::vector<std::string> clusters_across();

// `scalelab exec CLUSTER/NODE -- argv` on the machine holding NODE; its output passes through.
int exec_across(const std::string& cluster, const std::string& node, const std::vector<std::string>& argv);

// Any command on one machine of a cluster's record ("shard status", "shard inject", …).
RemoteResult run_on(const nlohmann::json& record, std::size_t machine, const std::vector<std::string>& args,
                    std::chrono::seconds timeout, const std::string& stdin_file = "");
// The same command on every machine at once, results in machine order.
std::vector<RemoteResult> run_on_every(const nlohmann::json& record, const std::vector<std::string>& args, std::chrono::seconds timeout);

// ssh's argv for `scalelab ARGS…` on one machine of the record, and "m2 (root@198.19.254.2)".
std::vector<std::string> ssh_command(const nlohmann::json& record, std::size_t machine, const std::vector<std::string>& args);
std::vector<std::string> machine_labels(const nlohmann::json& record);
// Where the operator lists the pids of the ssh sessions that carry a cluster's ranks.
std::string sessions_file(const std::string& cluster);

}  // namespace scalelab::shard
