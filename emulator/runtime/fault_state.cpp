#include "emulator/runtime/fault_state.h"

namespace scalelab::runtime {

std::set<int> FaultState::failed_links(const std::map<std::string, int>& nic_links) const {
  std::set<int> failed = down_links;
  for (const auto& nic : down_nics)
    if (auto it = nic_links.find(nic); it != nic_links.end()) failed.insert(it->second);
  return failed;
}

nlohmann::json FaultState::to_json() const {
  nlohmann::json degraded_json = nlohmann::json::object();
  for (const auto& [link, d] : degraded) {
    nlohmann::json j = nlohmann::json::object();
    if (d.rate_bps) j["rate_bps"] = *d.rate_bps;
    if (d.delay_ns) j["delay_ns"] = *d.delay_ns;
    if (d.jitter_ns) j["jitter_ns"] = *d.jitter_ns;
    if (d.loss) j["loss"] = *d.loss;
    degraded_json[std::to_string(link)] = j;
  }
  nlohmann::json partitions_json = nlohmann::json::array();
  for (const auto& p : partitions) partitions_json.push_back({{"a", p.side_a}, {"b", p.side_b}});
  return {{"down_links", down_links}, {"down_nics", down_nics}, {"degraded", degraded_json},
          {"partitions", partitions_json}, {"routed_around", routed_around}};
}

FaultState FaultState::from_json(const nlohmann::json& j) {
  FaultState s;
  s.down_links = j.value("down_links", std::set<int>{});
  s.down_nics = j.value("down_nics", std::set<std::string>{});
  s.routed_around = j.value("routed_around", std::set<int>{});
  auto degraded = j.value("degraded", nlohmann::json::object());  // items() must not outlive it
  for (const auto& [key, d] : degraded.items()) {
    LinkDegradation deg;
    if (d.contains("rate_bps")) deg.rate_bps = d["rate_bps"].get<std::uint64_t>();
    if (d.contains("delay_ns")) deg.delay_ns = d["delay_ns"].get<std::uint64_t>();
    if (d.contains("jitter_ns")) deg.jitter_ns = d["jitter_ns"].get<std::uint64_t>();
    if (d.contains("loss")) deg.loss = d["loss"].get<double>();
    s.degraded[std::stoi(key)] = deg;
  }
  auto partitions = j.value("partitions", nlohmann::json::array());
  for (const auto& p : partitions)
    s.partitions.push_back({p.at("a").get<std::vector<std::string>>(), p.at("b").get<std::vector<std::string>>()});
  return s;
}

}  // namespace scalelab::runtime
