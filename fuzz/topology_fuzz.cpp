// libFuzzer target: the topology parser and validator (emulator/model), and the explicit form it
// writes back. A rejection must be a TopologyError; anything else escaping (another exception, a
// crash, a sanitizer report) is a bug. A topology it accepts must survive the round trip through
// topology_to_json with its nodes and links.
#include <cstdlib>

#include "emulator/model/topology.h"
#include "emulator/model/topology_json.h"
#include "parse_text.h"

using namespace scalelab::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto t = parse_text<TopologyError>(data, size, [](const std::string& s) { return parse_topology(s, "<fuzz>"); });
  if (!t || t->nodes.size() > 4096) return 0;  // keep each input fast
  const Topology again = parse_topology(topology_to_json(*t).dump(), "<fuzz round trip>");
  if (again.nodes.size() != t->nodes.size() || again.links.size() != t->links.size()) std::abort();
  return 0;
}
