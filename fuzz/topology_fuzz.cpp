// libFuzzer target: the topology parser and validator (emulator/model), and the explicit form it
// writes back. A rejection must be a TopologyError; anything else escaping (another exception, a
// crash, a sanitizer report) is a bug. A topology it accepts must survive the round trip through
// topology_to_json unchanged in size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/model/topology_json.h"

using namespace scalelab::model;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return -1;  // the plan of a huge cluster is slow, not wrong
  const std::string text(reinterpret_cast<const char*>(data), size);
  Topology t;
  try {
    t = parse_topology(text, "<fuzz>");
  } catch (const TopologyError&) {
    return 0;
  }
  if (t.nodes.size() > 4096) return 0;  // keep each input fast
  const Topology again = parse_topology(topology_to_json(t).dump(), "<fuzz round trip>");
  if (again.nodes.size() != t.nodes.size() || again.links.size() != t.links.size()) std::abort();
  return 0;
}
