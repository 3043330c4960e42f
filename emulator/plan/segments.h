#pragma once
// Finds the L2 broadcast domains of a topology: a switch's bridge joins every link that ends
// on one of its bridge ports; any other link is a segment of its own (point to point).
#include <cstddef>
#include <vector>

#include "emulator/model/topology.h"

namespace scalelab::plan {

// Whether the end of `link` at `node` is a bridge port: switches bridge gpus and other
// switches; links to routers are routed ports.
bool is_bridge_port(const model::Topology& topology, const model::Node& node, const model::Node& peer);

struct SegmentMembers {
  std::vector<std::size_t> links;     // links in this segment, ascending
  std::vector<std::size_t> switches;  // switch node indexes whose bridge is in this segment
};

// Segments ordered by their lowest link index, so addressing is deterministic.
std::vector<SegmentMembers> find_segments(const model::Topology& topology);

}  // namespace scalelab::plan
