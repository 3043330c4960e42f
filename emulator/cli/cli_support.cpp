#include "emulator/cli/cli_support.h"

#include <unistd.h>

#include "emulator/runtime/cluster_dir.h"
#include "scalelab/cluster.h"

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

LineHandler RankZeroOutput::handler() {
  return [this](int rank, const std::string& label, const std::string& line) {
    if (rank == 0)
      fmt::print("{}\n", line);
    else if (line.rfind("SCALELAB_ERROR", 0) == 0 || line.find("error") != std::string::npos)
      others_.push_back("[" + label + "] " + line);
    std::fflush(stdout);
  };
}

void RankZeroOutput::print_others() const {
  for (const auto& l : others_) fmt::print(stderr, "{}\n", l);
}

void set_dilation(UpOptions& options, const std::string& text) {
  if (text.empty()) return;
  if (text == "auto") {
    options.dilation_auto = true;
    return;
  }
  double dilation = 0;
  try {
    dilation = std::stod(text);
  } catch (...) {
  }
  if (dilation < 1) fail("--dilation takes a number >= 1 or \"auto\", got \"" + text + "\"");
  options.dilation = dilation;
}

}  // namespace scalelab::cli
