#include "emulator/scenario/straggler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "emulator/locations/locations.h"
#include "emulator/runtime/straggler_cgroups.h"

namespace scalelab::scenario {
namespace {

bool exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& value) {
  std::ofstream out(path);
  out << value;
  out.flush();
  if (!out) throw std::runtime_error("cannot write \"" + value + "\" to " + path);
}

// The cgroup v2 directory a process is in, from /proc/<pid>/cgroup's "0::/path" line.
std::string cgroup_v2_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) return "/sys/fs/cgroup" + line.substr(3);
  return "";
}

}  // namespace

std::string delegated_cgroup() {
  const char* env = std::getenv("SCALELAB_CGROUP");
  if (!env || !*env) return "";
  const std::string dir = env;
  // cgroup v1: a cpu-controller directory the user owns (chown'd to them).
  if (exists(dir + "/cpu.cfs_quota_us")) return access((dir + "/cgroup.procs").c_str(), W_OK) == 0 ? dir : "";
  // cgroup v2: a delegated subtree with the cpu controller available.
  std::ifstream controllers(dir + "/cgroup.controllers");
  std::string c, all;
  while (controllers >> c) all += " " + c + " ";
  if (all.find(" cpu ") == std::string::npos) return "";
  if (access((dir + "/cgroup.subtree_control").c_str(), W_OK) != 0) return "";
  return dir;
}

CpuQuota::CpuQuota(const std::string& name, pid_t pid, double percent) : pid_(pid) {
  constexpr long kPeriodUs = 100'000;
  long quota = static_cast<long>(kPeriodUs * percent / 100);
  if (locations::rootless()) {
    const std::string base = delegated_cgroup();
    if (base.empty())
      throw std::runtime_error("straggler: a rootless run needs SCALELAB_CGROUP, a cgroup directory delegated to you with the cpu controller");
    path_ = base + "/" + name;
    const bool v1 = exists(base + "/cpu.cfs_quota_us");
    if (!v1) write_file(base + "/cgroup.subtree_control", "+cpu");
    // v1 has no internal-process rule: the rank goes back to the delegated directory itself.
    parent_procs_ = v1 ? base + "/cgroup.procs" : cgroup_v2_of(pid) + "/cgroup.procs";
    if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create cgroup " + path_ + ": " + std::strerror(errno));
    if (v1) {
      write_file(path_ + "/cpu.cfs_period_us", std::to_string(kPeriodUs));
      write_file(path_ + "/cpu.cfs_quota_us", std::to_string(quota));
    } else {
      write_file(path_ + "/cpu.max", std::to_string(quota) + " " + std::to_string(kPeriodUs));
    }
  } else if (exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    std::string base = runtime::kStragglerCgroupV1;
    mkdir(base.c_str(), 0755);
    path_ = base + "/" + name;
    parent_procs_ = "/sys/fs/cgroup/cpu/cgroup.procs";
    if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create cgroup " + path_ + ": " + std::strerror(errno));
    write_file(path_ + "/cpu.cfs_period_us", std::to_string(kPeriodUs));
    write_file(path_ + "/cpu.cfs_quota_us", std::to_string(quota));
  } else if (exists("/sys/fs/cgroup/cgroup.controllers")) {
    std::string base = runtime::kStragglerCgroupV2;
    mkdir(base.c_str(), 0755);
    write_file("/sys/fs/cgroup/cgroup.subtree_control", "+cpu");
    write_file(base + "/cgroup.subtree_control", "+cpu");
    path_ = base + "/" + name;
    parent_procs_ = "/sys/fs/cgroup/cgroup.procs";
    if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create cgroup " + path_ + ": " + std::strerror(errno));
    write_file(path_ + "/cpu.max", std::to_string(quota) + " " + std::to_string(kPeriodUs));
  } else {
    throw std::runtime_error("no cgroup CPU controller is mounted (neither v1 /sys/fs/cgroup/cpu nor v2): straggler cannot be emulated");
  }
  write_file(path_ + "/cgroup.procs", std::to_string(pid));
}

CpuQuota::~CpuQuota() {
  // Back to the root group (if it still runs), then the empty group can go.
  std::ofstream(parent_procs_) << pid_;
  rmdir(path_.c_str());
}

}  // namespace scalelab::scenario
