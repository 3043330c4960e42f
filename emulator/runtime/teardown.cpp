#include "emulator/runtime/teardown.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include "emulator/netlink/netns.h"
#include "emulator/runtime/cluster_dir.h"
#include "emulator/runtime/neighbour_limits.h"
#include "emulator/runtime/parallel.h"
#include "emulator/runtime/straggler_cgroups.h"

namespace scalelab::runtime {
namespace {

constexpr std::size_t kTeardownWorkers = 8;

// The inode of a process's network namespace, to check a recorded pid was not reused.
ino_t netns_inode_of_pid(int pid) {
  struct stat st;
  return stat(("/proc/" + std::to_string(pid) + "/ns/net").c_str(), &st) == 0 ? st.st_ino : 0;
}

ino_t netns_inode_of_name(const std::string& name) {
  struct stat st;
  return stat((locations::netns_dir() + "/" + name).c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace

std::vector<int> stop_recorded_processes(const std::string& cluster) {
  auto dir = ClusterDir::open(cluster);
  if (!dir) return {};
  std::vector<ino_t> namespaces;
  for (const auto& n : dir->journaled_netns())
    if (ino_t ino = netns_inode_of_name(n)) namespaces.push_back(ino);

  std::vector<int> victims;
  std::ifstream in(dir->path("pids"));
  for (int pid; in >> pid;) {
    ino_t ino = netns_inode_of_pid(pid);
    if (ino && std::find(namespaces.begin(), namespaces.end(), ino) != namespaces.end()) victims.push_back(pid);
  }
  for (int pid : victims) kill(pid, SIGTERM);
  // A short grace period, then SIGKILL for whatever ignored SIGTERM.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  while (std::chrono::steady_clock::now() < deadline &&
         std::any_of(victims.begin(), victims.end(), [](int p) { return process_alive(p); }))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int pid : victims)
    if (process_alive(pid)) kill(pid, SIGKILL);
  // A killed process leaves its straggler cgroup only once it has exited, which takes a while
  // for a large one (an ASan build's shadow memory); down removes the cgroups right after this.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline &&
         std::any_of(victims.begin(), victims.end(), [](int p) { return !process_exited(p); }))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return victims;
}

TeardownReport down(const std::string& cluster) {
  TeardownReport report;
  auto dir = ClusterDir::open(cluster);
  if (!dir) return report;
  report.cluster_found = true;
  report.stopped_pids = stop_recorded_processes(cluster);
  auto names = dir->journaled_netns();
  // Unmounting dominates (each waits for an RCU grace period) and the kernel lets several run at
  // once; the namespaces themselves are freed asynchronously after the last unmount.
  std::vector<char> removed(names.size(), 0);
  parallel_for(names.size(), kTeardownWorkers, [&](std::size_t i) { removed[i] = nl::remove_named_netns(names[i]); });
  for (std::size_t i = names.size(); i-- > 0;)
    if (removed[i]) report.removed_namespaces.push_back(names[i]);
  dir->remove();
  remove_straggler_cgroups(cluster);
  restore_host_neighbour_limits_if_idle();
  return report;
}

TeardownReport clean() {
  TeardownReport report;
  for (const auto& cluster : ClusterDir::list()) {
    auto r = down(cluster);
    report.cluster_found = true;
    report.removed_namespaces.insert(report.removed_namespaces.end(), r.removed_namespaces.begin(), r.removed_namespaces.end());
    report.stopped_pids.insert(report.stopped_pids.end(), r.stopped_pids.begin(), r.stopped_pids.end());
  }
  remove_straggler_cgroups("");
  // Whatever no journal mentions (a journal deleted by hand, a crash between steps).
  for (const auto& name : nl::list_named_netns("sl-"))
    if (nl::remove_named_netns(name)) report.removed_namespaces.push_back(name);
  restore_host_neighbour_limits_if_idle();
  return report;
}

}  // namespace scalelab::runtime
