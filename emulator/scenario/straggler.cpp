#include "emulator/scenario/straggler.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

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

}  // namespace

CpuQuota::CpuQuota(const std::string& name, pid_t pid, double percent) : pid_(pid) {
  constexpr long kPeriodUs = 100'000;
  long quota = static_cast<long>(kPeriodUs * percent / 100);
  if (exists("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")) {
    std::string base = "/sys/fs/cgroup/cpu/scalelab";
    mkdir(base.c_str(), 0755);
    path_ = base + "/" + name;
    parent_procs_ = "/sys/fs/cgroup/cpu/cgroup.procs";
    if (mkdir(path_.c_str(), 0755) != 0 && errno != EEXIST) throw std::runtime_error("cannot create cgroup " + path_ + ": " + std::strerror(errno));
    write_file(path_ + "/cpu.cfs_period_us", std::to_string(kPeriodUs));
    write_file(path_ + "/cpu.cfs_quota_us", std::to_string(quota));
  } else if (exists("/sys/fs/cgroup/cgroup.controllers")) {
    std::string base = "/sys/fs/cgroup/scalelab";
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
