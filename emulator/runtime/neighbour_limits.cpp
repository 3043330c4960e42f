#include "emulator/runtime/neighbour_limits.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "emulator/runtime/cluster_dir.h"

namespace scalelab::runtime {
namespace {

constexpr const char* kSysctlDir = "/proc/sys/net/ipv4/neigh/default/";
std::string saved_file() { return locations::state_root() + "/host-neighbour-limits.json"; }

std::uint64_t read_value(const std::string& name) {
  std::ifstream f(kSysctlDir + name);
  std::uint64_t v = 0;
  if (!(f >> v)) throw std::runtime_error(std::string("cannot read ") + kSysctlDir + name);
  return v;
}

void write_value(const std::string& name, std::uint64_t v) {
  std::ofstream f(kSysctlDir + name);
  f << v << "\n";
  f.flush();
  if (!f) throw std::runtime_error(fmt::format("cannot write {} to {}{} (needs root in the host's network namespace)", v, kSysctlDir, name));
}

// Raising thresh3 before thresh1 (and lowering it after) keeps thresh1 <= thresh2 <= thresh3 at
// every instant; the kernel does not check, but a reader never sees an inverted set.
void write_limits(const NeighbourLimits& to, const NeighbourLimits& from) {
  const bool up = to.gc_thresh3 >= from.gc_thresh3;
  if (up) {
    write_value("gc_thresh3", to.gc_thresh3);
    write_value("gc_thresh2", to.gc_thresh2);
    write_value("gc_thresh1", to.gc_thresh1);
  } else {
    write_value("gc_thresh1", to.gc_thresh1);
    write_value("gc_thresh2", to.gc_thresh2);
    write_value("gc_thresh3", to.gc_thresh3);
  }
}

nlohmann::json to_json(const NeighbourLimits& l) {
  return {{"gc_thresh1", l.gc_thresh1}, {"gc_thresh2", l.gc_thresh2}, {"gc_thresh3", l.gc_thresh3}};
}

std::optional<NeighbourLimits> saved_host_limits() {
  std::ifstream in(saved_file());
  if (!in) return std::nullopt;
  auto saved = nlohmann::json::parse(in, nullptr, false);
  if (!saved.is_object()) return std::nullopt;
  return NeighbourLimits{saved.value("gc_thresh1", std::uint64_t{128}), saved.value("gc_thresh2", std::uint64_t{512}),
                         saved.value("gc_thresh3", std::uint64_t{1024})};
}

}  // namespace

NeighbourLimits limits_for(std::uint64_t entries, const NeighbourLimits& current) {
  return {std::max(current.gc_thresh1, entries), std::max(current.gc_thresh2, 2 * entries),
          std::max(current.gc_thresh3, 4 * entries)};
}

std::optional<NeighbourLimits>& remembered() {
  static std::optional<NeighbourLimits> limits;
  return limits;
}

NeighbourLimits read_host_neighbour_limits() {
  if (remembered()) return *remembered();
  return {read_value("gc_thresh1"), read_value("gc_thresh2"), read_value("gc_thresh3")};
}

void remember_host_neighbour_limits() { remembered() = read_host_neighbour_limits(); }

std::optional<std::string> fit_host_neighbour_limits(const std::string& cluster, std::uint64_t cluster_entries) {
  // The kernel shows the limits only in the host's own network namespace: a process outside it
  // (a machine of a cluster across machines, emulated on one box) can neither read nor raise them.
  if (!std::filesystem::exists(std::string(kSysctlDir) + "gc_thresh1"))
    return fmt::format("the neighbour table limits (net.ipv4.neigh.default.gc_thresh*) belong to the host's network namespace, "
                       "which this scalelab does not run in: left as they are for cluster {} (up to {} ARP entries)",
                       cluster, cluster_entries);
  std::uint64_t entries = cluster_entries;
  for (const auto& other : ClusterDir::list()) {
    if (other == cluster) continue;
    if (auto dir = ClusterDir::open(other))
      if (auto state = dir->read_json("state.json")) entries += state->value("neighbour_entries", std::uint64_t{0});
  }
  const NeighbourLimits current = read_host_neighbour_limits();
  const std::optional<NeighbourLimits> saved = saved_host_limits();
  // The host's own entries (its uplink, its containers) keep the room its own thresh1 gave them.
  // Below thresh2 nothing is ever collected under pressure, so that is all the clusters need.
  const std::uint64_t needed = entries + saved.value_or(current).gc_thresh1;
  if (needed <= current.gc_thresh2) return std::nullopt;
  if (locations::rootless())
    throw std::runtime_error(fmt::format(
        "cluster {} can make up to {} ARP entries ({} with the clusters already up and the host's own), more than the "
        "host's neighbour table keeps (net.ipv4.neigh.default.gc_thresh2 = {}); raising that limit needs real root in "
        "the host's network namespace, which a rootless run does not have: run it as root (sudo scalelab up …), or "
        "inside `scalelab vm`, whose guest kernel has its own table",
        cluster, cluster_entries, needed, current.gc_thresh2));
  const NeighbourLimits wanted = limits_for(needed, current);
  if (!saved) {
    std::filesystem::create_directories(locations::state_root());
    std::ofstream(saved_file()) << to_json(current).dump() << "\n";
  }
  write_limits(wanted, current);
  return fmt::format(
      "raised the host's neighbour table limits (net.ipv4.neigh.default.gc_thresh1/2/3 {}/{}/{} → {}/{}/{}): this "
      "cluster can make up to {} ARP entries and every namespace shares one table; the last `down`/`clean` restores them",
      current.gc_thresh1, current.gc_thresh2, current.gc_thresh3, wanted.gc_thresh1, wanted.gc_thresh2, wanted.gc_thresh3,
      cluster_entries);
}

void restore_host_neighbour_limits_if_idle() {
  if (locations::rootless()) return;  // it never raised them
  if (!ClusterDir::list().empty() || !std::filesystem::exists(saved_file())) return;
  if (auto original = saved_host_limits()) write_limits(*original, read_host_neighbour_limits());
  std::filesystem::remove(saved_file());
}

}  // namespace scalelab::runtime
