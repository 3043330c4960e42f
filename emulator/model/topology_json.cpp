#include "emulator/model/topology_json.h"

#include "emulator/model/units.h"

namespace scalelab::model {

namespace {
// The short form when it reads back exactly, else whole bits per second: the explicit form
// must describe the very same fabric.
std::string exact_bandwidth(std::uint64_t bps) {
  std::string short_form = format_bandwidth(bps);
  return parse_bandwidth_bps(short_form) == bps ? short_form : std::to_string(bps) + "b/s";
}
}  // namespace

nlohmann::json topology_to_json(const Topology& topology) {
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& n : topology.nodes) {
    nlohmann::json j = {{"name", n.name}, {"kind", to_string(n.kind)}};
    if (n.kind == NodeKind::gpu) j["host"] = n.host;
    nodes.push_back(std::move(j));
  }
  for (const auto& l : topology.links) {
    nlohmann::json j = {{"a", l.a}, {"b", l.b}, {"tier", to_string(l.tier)}, {"bandwidth", exact_bandwidth(l.params.bandwidth_bps)},
                        {"latency", format_duration(l.params.latency_ns)}, {"mtu", l.params.mtu}};
    if (l.params.jitter_ns) j["jitter"] = format_duration(l.params.jitter_ns);
    if (l.params.loss > 0) j["loss"] = std::to_string(l.params.loss * 100) + "%";
    links.push_back(std::move(j));
  }
  nlohmann::json out = {{"name", topology.name}};
  out["dilation"] = topology.dilation_auto ? nlohmann::json("auto") : nlohmann::json(topology.dilation);
  if (topology.ecmp_seed) out["ecmp_seed"] = topology.ecmp_seed;
  out["nodes"] = std::move(nodes);
  out["links"] = std::move(links);
  return out;
}

}  // namespace scalelab::model
