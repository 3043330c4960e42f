#pragma once
// Internal to emulator/model: the rules every resolved Topology must satisfy, whichever JSON form
// it came from. parse_topology() calls validate_topology() before returning; tests may call it
// directly on a hand-built Topology.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/model/topology.h"

namespace scalelab::model {

inline constexpr std::uint32_t kMinMtu = 576;
inline constexpr std::uint32_t kMaxMtu = 65000;
inline constexpr std::uint32_t kDefaultMtu = 1500;
inline constexpr std::size_t kMaxNodes = 8192;
// A gpu's interfaces are nvl0..nvl7 (scale_up) and nic0..nic7 (scale_out).
inline constexpr std::size_t kMaxGpuLinksPerTier = 8;
// Node names become interface names on the peer: IFNAMSIZ - 1.
inline constexpr std::size_t kMaxNodeNameLength = 15;

// "mtu must be within 576..65000, got <value>", shared by the parser and the validation.
std::string mtu_range_message(const std::string& got);

// Throws TopologyError (source = topology.source) on the first rule violated:
//  - cluster name matches [a-z0-9][a-z0-9-]{0,23}              (/name)
//  - dilation >= 1 unless "auto"                               (/dilation)
//  - at least one gpu, at most 8192 nodes                      (/nodes or /cluster)
//  - node names [A-Za-z0-9_.-]{1,15}, not "lo"/"br0", unique   (the node)
//  - links name existing, distinct nodes; one link per pair; mtu 576..65000; bandwidth > 0
//  - a gpu has at most 8 scale_up and 8 scale_out links        (the 9th link)
//  - every node has at least one link                          (the node)
//  - switch–switch links form a forest (no L2 loop)            (the link closing the cycle)
void validate_topology(const Topology& topology);

}  // namespace scalelab::model
