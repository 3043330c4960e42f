#pragma once
// The resolved topology written back in the explicit form, which parse_topology accepts again.
#include <nlohmann/json.hpp>

#include "emulator/model/topology.h"

namespace scalelab::model {

nlohmann::json topology_to_json(const Topology& topology);

}  // namespace scalelab::model
