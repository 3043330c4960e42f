#include "emulator/shard/operator.h"

#include <fcntl.h>
#include <signal.h>
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/locations/locations.h"
#include "emulator/model/topology_json.h"
#include "emulator/plan/plan.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/parallel.h"
#include "emulator/shard/shard_spec.h"
#include "emulator/vm/exec.h"

namespace scalelab::shard {
namespace {

namespace fs = std::filesystem;

// Beside the clusters' own directories, not among them: the operator holds no shard.
fs::path records_dir() { return fs::path(locations::state_root() + "-across"); }
fs::path record_path(const std::string& cluster) { return records_dir() / (cluster + ".json"); }

Machines machines_of(const nlohmann::json& record) {
  auto ms = parse_machines(nlohmann::json{{"machines", record["machines"]}, {"ssh_options", record["ssh_options"]}}.dump(),
                           record_path(record["cluster"]).string());
  return ms;
}

std::vector<std::string> ssh_argv(const Machines& ms, std::size_t m, const std::vector<std::string>& args) {
  // The machines file's options first: ssh keeps the first value it is given for each. BatchMode:
  // a missing key fails at once instead of waiting for a password nobody types. ServerAlive:
  // a machine that stops answering mid-run is lost after 15 s, not after TCP's minutes.
  std::vector<std::string> argv{"ssh"};
  argv.insert(argv.end(), ms.ssh_options.begin(), ms.ssh_options.end());
  argv.insert(argv.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=3"});
  argv.push_back("--");
  argv.push_back(ms.list[m].ssh);
  std::vector<std::string> remote{ms.list[m].scalelab};
  remote.insert(remote.end(), args.begin(), args.end());
  argv.push_back(vm::command_line(remote));
  return argv;
}

RemoteResult remote(const Machines& ms, std::size_t m, const std::vector<std::string>& args, std::chrono::seconds timeout,
                    const std::string& stdin_file) {
  vm::ExecOptions options;
  options.timeout = timeout;
  options.stdin_file = stdin_file;
  auto r = vm::run_capture(ssh_argv(ms, m, args), options);
  return {ms.list[m].name + " (" + ms.list[m].ssh + ")", r.status, r.timed_out, r.out, r.err};
}

std::string last_lines(const std::string& text, std::size_t n) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) out += (out.empty() ? "" : " | ") + lines[i];
  return out;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path) << text;
}

}  // namespace

std::string RemoteResult::describe() const {
  if (timed_out) return fmt::format("machine {}: no answer within the deadline", machine);
  if (status == 255) return fmt::format("machine {} is unreachable over ssh: {}", machine, last_lines(err, 2));
  return fmt::format("machine {}: exit {}: {}", machine, status, last_lines(err.empty() ? out : err, 3));
}

bool DownAcross::complete() const {
  for (const auto& m : machines)
    if (!m.ok()) return false;
  return true;
}

std::optional<nlohmann::json> across_record(const std::string& cluster) {
  std::ifstream in(record_path(cluster));
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> clusters_across() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(records_dir(), ec))
    if (e.path().extension() == ".json") names.push_back(e.path().stem());
  return names;
}

RemoteResult run_on(const nlohmann::json& record, std::size_t machine, const std::vector<std::string>& args, std::chrono::seconds timeout,
                    const std::string& stdin_file) {
  return remote(machines_of(record), machine, args, timeout, stdin_file);
}

std::vector<RemoteResult> run_on_every(const nlohmann::json& record, const std::vector<std::string>& args, std::chrono::seconds timeout) {
  const auto machines = machines_of(record);
  std::vector<RemoteResult> results(machines.list.size());
  runtime::parallel_for(results.size(), results.size(), [&](std::size_t m) { results[m] = remote(machines, m, args, timeout, ""); });
  return results;
}

std::vector<std::string> ssh_command(const nlohmann::json& record, std::size_t machine, const std::vector<std::string>& args) {
  return ssh_argv(machines_of(record), machine, args);
}

std::vector<std::string> machine_labels(const nlohmann::json& record) {
  std::vector<std::string> out;
  for (const auto& m : machines_of(record).list) out.push_back(m.name + " (" + m.ssh + ")");
  return out;
}

std::string sessions_file(const std::string& cluster) { return (records_dir() / (cluster + ".sessions")).string(); }

UpAcross up_across(const model::Topology& topology, const Machines& machines, std::chrono::seconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  auto plan = plan::build_plan(topology);
  UpAcross result;
  result.cluster = plan.cluster;
  result.cut = partition(plan, machine_names(machines));
  const auto vni_base = vni_base_for(plan.cluster);
  (void)placement(plan, result.cut, machines, 0, vni_base);  // the VNI budget, before anything is sent

  ShardSpec spec{model::topology_to_json(plan.topology), machines, 0, vni_base};
  spec.topology["dilation"] = plan.dilation;
  nlohmann::json record = spec_to_json(spec);
  record.erase("self");
  record["cluster"] = plan.cluster;
  record["namespaces"] = plan.namespaces.size();
  record["ssh_options"] = machines.ssh_options;
  record["state"] = "creating";
  record["pid"] = getpid();

  // The record is the name's claim on this operator, and what `down` reads to sweep every
  // machine even when this process dies right after it.
  fs::create_directories(records_dir());
  int fd = ::open(record_path(plan.cluster).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0)
    throw runtime::ClusterExists(fmt::format("a cluster named \"{}\" is already up across machines (record {}): run `scalelab down {}` "
                                             "first, or bring this one up under another name (--name)",
                                             plan.cluster, record_path(plan.cluster).string(), plan.cluster));
  const auto text = record.dump(2);
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    ::close(fd);
    fs::remove(record_path(plan.cluster));
    throw ShardFailure("cannot write " + record_path(plan.cluster).string());
  }
  ::close(fd);

  const auto n = machines.list.size();
  std::vector<std::string> spec_files(n);
  std::vector<RemoteResult> ups(n);
  try {
    for (std::size_t m = 0; m < n; ++m) {
      spec.self = static_cast<int>(m);
      spec_files[m] = (fs::temp_directory_path() / fmt::format("scalelab-shard-{}-{}-{}.json", plan.cluster, getpid(), m)).string();
      write_file(spec_files[m], spec_to_json(spec).dump());
    }
    runtime::parallel_for(n, n, [&](std::size_t m) { ups[m] = remote(machines, m, {"shard", "up"}, timeout, spec_files[m]); });
  } catch (...) {
    for (const auto& f : spec_files) fs::remove(f);
    down_across(plan.cluster);
    throw;
  }
  for (const auto& f : spec_files) fs::remove(f);

  std::string failures;
  for (const auto& up : ups)
    if (!up.ok()) failures += (failures.empty() ? "" : "; ") + up.describe();
  if (!failures.empty()) {
    while (!failures.empty() && (failures.back() == '.' || failures.back() == ' ')) failures.pop_back();
    auto down = down_across(plan.cluster);
    throw ShardFailure(fmt::format("cluster {} did not come up across {} machines: {}. {}", plan.cluster, n, failures,
                                   down.complete() ? "Every shard was taken down again."
                                                   : "Some shards could not be reached to take them down: run `scalelab down " +
                                                         plan.cluster + "` again when they are back, or `scalelab clean` on them."));
  }
  for (const auto& up : ups) {
    try {
      result.shards.push_back(nlohmann::json::parse(up.out));
    } catch (const nlohmann::json::exception&) {
      result.shards.push_back({{"machine", up.machine}, {"output", up.out}});
    }
  }
  record["state"] = "up";
  write_file(record_path(plan.cluster), record.dump(2));
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return result;
}

DownAcross down_across(const std::string& cluster) {
  DownAcross result;
  auto record = across_record(cluster);
  if (!record) return result;
  const auto machines = machines_of(*record);
  result.machines.resize(machines.list.size());
  // The ssh sessions of a run still going (its operator killed): their machines stop their ranks
  // once the channel closes, and `shard down` ends whatever is left there.
  std::ifstream sessions(sessions_file(cluster));
  for (int pid; sessions >> pid;) {
    std::string comm;
    std::ifstream(fmt::format("/proc/{}/comm", pid)) >> comm;
    if (pid > 0 && comm == "ssh") ::kill(pid, SIGTERM);  // a recycled pid is someone else's: leave it
  }
  runtime::parallel_for(machines.list.size(), machines.list.size(), [&](std::size_t m) {
    result.machines[m] = remote(machines, m, {"shard", "down", cluster}, std::chrono::seconds(60), "");
  });
  for (const auto& r : result.machines) {
    if (!r.ok()) continue;
    try {
      result.namespaces_removed += nlohmann::json::parse(r.out).value("namespaces_removed", std::size_t{0});
    } catch (const nlohmann::json::exception&) {
    }
  }
  if (result.complete()) {
    fs::remove(record_path(cluster));
    fs::remove(sessions_file(cluster));
  }
  return result;
}

int exec_across(const std::string& cluster, const std::string& node, const std::vector<std::string>& argv) {
  auto record = across_record(cluster);
  if (!record) throw ShardFailure("cluster " + cluster + " is not up across machines");
  const auto machines = machines_of(*record);
  auto topology = model::parse_topology((*record)["topology"].dump(), record_path(cluster).string());
  auto plan = plan::build_plan(topology);
  auto cut = partition(plan, machine_names(machines));
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i) {
    if (plan.namespaces[i].node != node) continue;
    std::vector<std::string> args{"shard", "exec", cluster + "/" + node, "--"};
    args.insert(args.end(), argv.begin(), argv.end());
    auto ssh = ssh_argv(machines, static_cast<std::size_t>(cut.machine_of[i]), args);
    std::vector<char*> cargv;
    for (auto& a : ssh) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    std::fflush(stdout);
    ::execvp("ssh", cargv.data());  // its output and exit status are the command's
    throw ShardFailure(std::string("cannot run ssh: ") + std::strerror(errno));
  }
  throw ShardFailure(fmt::format("cluster {} has no node {}", cluster, node));
}

}  // namespace scalelab::shard
