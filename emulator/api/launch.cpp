#include "emulator/api/launch.h"

#include <fmt/format.h>

#include "emulator/api/job_impl.h"
#include "emulator/plan/plan.h"
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
  impl->start(cluster.dir.path("pids"));
  for (std::size_t member = 0; member < impl->ranks.size(); ++member) {
    const auto& rank = impl->ranks[member];
    const auto r = static_cast<std::size_t>(rank.rank);
    auto env = process::rank_environment(cluster.file, r, cluster.dir.path("cluster.json"));
    auto argv = argv_of(env);
    impl->launch({rank.label, plan::netns_name(name, rank.node), std::move(argv), std::move(env),
                  {rank.node, cluster.dir.path(runtime::kHostsFile)}});
  }
  return make(std::move(impl));
}

}  // namespace scalelab
