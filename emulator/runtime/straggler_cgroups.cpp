#include "emulator/runtime/straggler_cgroups.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <thread>
#include <filesystem>

#include "emulator/locations/locations.h"

namespace scalelab::runtime {

std::string straggler_cgroup_name(const std::string& cluster, int rank) { return cluster + "-rank" + std::to_string(rank); }

std::vector<std::string> straggler_cgroup_parents() {
  if (locations::rootless()) {
    const char* delegated = std::getenv("SCALELAB_CGROUP");
    return delegated && *delegated ? std::vector<std::string>{delegated} : std::vector<std::string>{};
  }
  return {kStragglerCgroupV1, kStragglerCgroupV2};
}

int remove_straggler_cgroups(const std::string& cluster) {
  namespace fs = std::filesystem;
  int removed = 0;
  const std::string prefix = cluster.empty() ? "" : cluster + "-rank";
  for (const auto& parent : straggler_cgroup_parents()) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(parent, ec)) {
      const std::string n = e.path().filename().string();
      if (!e.is_directory(ec) || n.rfind(prefix, 0) != 0 || n.find("-rank") == std::string::npos) continue;
      // cgroupfs: rmdir, not a recursive delete (its control files cannot be unlinked). EBUSY:
      // a task is still leaving it; give that a bounded moment.
      for (int attempt = 0; attempt < 100; ++attempt) {
        if (rmdir(e.path().c_str()) == 0) {
          ++removed;
          break;
        }
        if (errno != EBUSY) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  return removed;
}

}  // namespace scalelab::runtime
