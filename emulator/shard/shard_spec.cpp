#include "emulator/shard/shard_spec.h"

#include <fmt/format.h>

namespace scalelab::shard {

nlohmann::json spec_to_json(const ShardSpec& spec) {
  nlohmann::json machines = nlohmann::json::array();
  for (const auto& m : spec.machines.list)
    machines.push_back({{"name", m.name}, {"ssh", m.ssh}, {"underlay", m.underlay}, {"underlay_dev", m.underlay_dev}, {"scalelab", m.scalelab}});
  return {{"topology", spec.topology}, {"machines", machines}, {"self", spec.self}, {"vni_base", spec.vni_base}};
}

ShardSpec spec_from_json(const std::string& text, const std::string& source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw MachinesError(source, "", fmt::format("not a shard spec ({}): `scalelab shard up` reads what `scalelab up --machines` sends", e.what()));
  }
  for (const char* key : {"topology", "machines", "self", "vni_base"})
    if (!doc.is_object() || !doc.contains(key))
      throw MachinesError(source, std::string("/") + key, "missing: `scalelab shard up` reads what `scalelab up --machines` sends");
  ShardSpec spec;
  spec.topology = doc["topology"];
  spec.machines = parse_machines(nlohmann::json{{"machines", doc["machines"]}}.dump(), source);
  if (!doc["self"].is_number_unsigned() || doc["self"].get<std::size_t>() >= spec.machines.list.size())
    throw MachinesError(source, "/self", fmt::format("must index the {} machines", spec.machines.list.size()));
  spec.self = doc["self"].get<int>();
  if (!doc["vni_base"].is_number_unsigned() || doc["vni_base"].get<std::uint64_t>() + kMaxCrossLinks >= (1u << 24))
    throw MachinesError(source, "/vni_base", "must leave room for 4096 VNIs below 2^24");
  spec.vni_base = doc["vni_base"].get<std::uint32_t>();
  return spec;
}

std::uint32_t vni_base_for(const std::string& cluster) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : cluster) h = (h ^ c) * 16777619u;
  return static_cast<std::uint32_t>(1 + h % 4094) * kMaxCrossLinks;
}

runtime::ShardPlacement placement(const plan::Plan& plan, const Partition& cut, const Machines& machines, int self, std::uint32_t vni_base) {
  if (cut.cross.size() > kMaxCrossLinks)
    throw PartitionError(fmt::format("{} links cross machines, more than the {} VNIs a cluster gets: use fewer machines", cut.cross.size(), kMaxCrossLinks));
  runtime::ShardPlacement p;
  const auto& me = machines.list.at(static_cast<std::size_t>(self));
  p.machine = me.name;
  p.self = self;
  p.machine_of = cut.machine_of;
  p.underlay_dev = me.underlay_dev;
  for (std::size_t k = 0; k < cut.cross.size(); ++k) {
    const auto& c = cut.cross[k];
    if (c.a_machine != self && c.b_machine != self) continue;
    const int peer = c.a_machine == self ? c.b_machine : c.a_machine;
    p.cross.push_back({c.veth, vni_base + static_cast<std::uint32_t>(k), me.underlay, machines.list.at(static_cast<std::size_t>(peer)).underlay});
  }
  return p;
}

}  // namespace scalelab::shard
