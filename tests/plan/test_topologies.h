#pragma once
// Small topologies shared by the plan tests, written in the file format users write.
#include <string>

#include "emulator/model/topology.h"

namespace scalelab::fixtures {

inline model::Topology tiny_topology() {
  return model::parse_topology(R"({
    "name": "tiny", "dilation": 1000,
    "cluster": { "hosts": 2, "gpus_per_host": 2,
      "scale_up":  { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 },
      "scale_out": { "nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 2, "spines": 1, "mtu": 4200 } } })",
                               "tiny.json");
}

inline model::Topology two_spine_topology() {
  return model::parse_topology(R"({
    "name": "ecmp",
    "cluster": { "hosts": 2, "gpus_per_host": 2,
      "scale_out": { "nic_bandwidth": "100Gb/s", "rails": 2, "spines": 2 } } })",
                               "ecmp.json");
}

inline model::Topology load_shipped(const std::string& file) {
  return model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file);
}

}  // namespace scalelab::fixtures
