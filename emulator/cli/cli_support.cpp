#include "emulator/cli/cli_support.h"

#include <unistd.h>

#include "emulator/runtime/cluster_dir.h"

namespace scalelab::cli {

void require_root(const std::string& verb, const std::string& why) {
  if (geteuid() != 0)
    fail_as("not_permitted", "`" + verb + "` " + why + " and needs root: run it with sudo, or add --rootless (a user namespace of your own)");
}

std::pair<std::string, std::string> resolve_node_reference(const std::string& reference) {
  auto slash = reference.find('/');
  if (slash != std::string::npos) return {reference.substr(0, slash), reference.substr(slash + 1)};
  auto clusters = runtime::ClusterDir::list();
  if (clusters.size() == 1) return {clusters.front(), reference};
  if (clusters.empty()) fail_as("not_found", "no cluster is up; name the node as CLUSTER/NODE after `scalelab up FILE`");
  fail_as("not_found", fmt::format("{} clusters are up; name the node as CLUSTER/NODE, e.g. {}/{}", clusters.size(), clusters.front(), reference));
}

}  // namespace scalelab::cli
