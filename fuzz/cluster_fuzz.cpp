// libFuzzer target: the cluster file the agents read (agents/collectives/cluster.h), and the routes
// and sub-clusters the agents derive from it. A rejection must be a ClusterFileError.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/cluster.h"

using namespace scalelab::agent;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ClusterInfo c;
  try {
    c = parse_cluster(text, "<fuzz>");
  } catch (const ClusterFileError&) {
    return 0;
  }
  (void)domains_of(c);
  const int n = std::min(c.world_size, 16);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b) {
      if (a == b) continue;
      try {
        (void)route_between(c, a, b);
      } catch (const ClusterFileError&) {
      }
    }
  if (n >= 2) {
    try {
      (void)sub_cluster(c, {n - 1, 0}, 100);
    } catch (const ClusterFileError&) {
    }
  }
  return 0;
}
