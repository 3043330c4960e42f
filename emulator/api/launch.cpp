#include "emulator/api/launch.h"

#include <filesystem>

#include <fmt/format.h>

#include "emulator/api/job_impl.h"
#include "emulator/locations/locations.h"
#include "emulator/plan/plan.h"
#include "emulator/process/listening_port.h"
#include "emulator/process/rank_environment.h"
#include "emulator/runtime/shard_nodes.h"
#include "scalelab/errors.h"

namespace scalelab::api {

OpenCluster open_cluster(const std::string& name, const std::string& hint) {
  auto dir = runtime::ClusterDir::open(name);
  if (!dir) throw NotFound("no cluster named \"" + name + "\" is up" + hint);
  auto file = dir->read_json("cluster.json");
  if (!file) throw NotFound("cluster " + name + " has no cluster file yet (is `up` still running?)");
  return {std::move(*dir), std::move(*file)};
}

// scalelab's own agents listen on base_port + rank (agents/transport/tcp); other commands may use
// those ports for anything, so only the agents get theirs made in advance.
bool listens_on_rank_port(const std::vector<std::string>& argv) {
  if (argv.empty()) return false;
  const std::string base = std::filesystem::path(argv.front()).filename();
  return base == "scalelab-agent" || base == "scalelab-job-agent";
}

}  // namespace scalelab::api

namespace scalelab {

Job Job::Impl::launch_ranks(const api::OpenCluster& cluster, const api::RankArgv& argv_of, RunOptions options) {
  const auto& name = cluster.dir.cluster();
  const auto& ranks = cluster.file["ranks"];
  // A machine holding one shard of a cluster across machines starts the ranks it holds; the
  // operator starts every machine's (shard run) and joins their results.
  const auto here = runtime::shard_nodes(cluster.dir);
  auto impl = std::make_unique<Job::Impl>();
  impl->options = std::move(options);
  for (std::size_t r = 0; r < ranks.size(); ++r) {
    std::string node = ranks[r]["node"];
    if (here && !here->count(node)) continue;
    impl->ranks.push_back({static_cast<int>(r), node, fmt::format("rank {} {}", r, node)});
  }
  std::vector<process::LaunchSpec> specs;
  for (const auto& rank : impl->ranks) {
    auto env = process::rank_environment(cluster.file, static_cast<std::size_t>(rank.rank), cluster.dir.path("cluster.json"));
    auto argv = argv_of(env);
    specs.push_back({rank.label, plan::netns_name(name, rank.node), std::move(argv), std::move(env),
                     {rank.node, cluster.dir.path(runtime::kHostsFile)}});
  }
  // Every agent's port listens before the first agent starts (process/listening_port.h).
  std::vector<process::ListeningPort> ports;
  const int base_port = cluster.file.value("base_port", 0);
  if (base_port > 0 && !specs.empty() && api::listens_on_rank_port(specs.front().argv)) {
    for (std::size_t member = 0; member < specs.size(); ++member) {
      auto& spec = specs[member];
      try {
        ports.emplace_back(locations::netns_dir() + "/" + spec.netns,
                           static_cast<uint16_t>(base_port + impl->ranks[member].rank));
      } catch (const std::exception& e) {
        throw LaunchError(spec.label + ": " + e.what());
      }
      spec.keep_fd = ports.back().fd();
      spec.env[process::kListenFdVariable] = std::to_string(spec.keep_fd);
    }
  }
  impl->start(cluster.dir.path("pids"));
  for (std::size_t member = 0; member < specs.size(); ++member) {
    impl->launch(specs[member]);
    if (member < ports.size()) ports[member].close();  // the rank has its own copy now
  }
  return make(std::move(impl));
}

}  // namespace scalelab
