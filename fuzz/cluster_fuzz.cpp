// libFuzzer target: the cluster file the agents read, JSON or table (agents/collectives/cluster.h), and the routes
// and sub-clusters the agents derive from it. A rejection must be a ClusterFileError.
#include <algorithm>

#include "collectives/cluster.h"
#include "parse_text.h"

using namespace scalelab::agent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto c = parse_text<ClusterFileError>(data, size, [](const std::string& s) { return parse_cluster_file_text(s, "<fuzz>"); });
  if (!c) return 0;
  (void)domains_of(*c);
  const int n = std::min(c->world_size, 16);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      if (a != b) (void)unless_rejected<ClusterFileError>([&] { return route_between(*c, a, b); });
  if (n >= 2) (void)unless_rejected<ClusterFileError>([&] { return sub_cluster(*c, {n - 1, 0}, 100); });
  return 0;
}
