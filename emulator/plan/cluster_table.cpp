#include "emulator/plan/cluster_table.h"

#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::plan {

namespace {

std::string field(const nlohmann::json& v, const char* what) {
  if (v.is_null()) return "";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of("\t\n\r") != std::string::npos)
    throw std::invalid_argument(fmt::format("cluster table: {} \"{}\" holds a tab or a line break", what, s));
  return s;
}

// Doubles as JSON numbers print them: the shortest text that reads back to the same value.
std::string number(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? "0" : it->dump();
}

void endpoint(std::string& out, const nlohmann::json& rank, const char* tier, bool with_leaf) {
  auto it = rank.find(tier);
  const bool present = it != rank.end() && it->is_object();
  out += '\t' + (present ? field(it->value("ifname", nlohmann::json()), "ifname") : "");
  out += '\t' + (present ? field(it->value("address", nlohmann::json()), "address") : "");
  if (with_leaf) out += '\t' + (present ? field(it->value("leaf", nlohmann::json()), "leaf") : "");
}

}  // namespace

std::string cluster_table_text(const nlohmann::json& cluster_file) {
  std::string out = "# scalelab cluster table v1: cluster.json's ranks for the agents, one line each\n";
  out += "name\t" + field(cluster_file.value("name", nlohmann::json("")), "name") + "\n";
  out += "dilation\t" + number(cluster_file, "dilation") + "\n";
  out += "base_port\t" + number(cluster_file, "base_port") + "\n";
  const auto& ranks = cluster_file.at("ranks");
  out += fmt::format("world_size\t{}\n", ranks.size());
  if (auto tiers = cluster_file.find("tiers"); tiers != cluster_file.end() && tiers->is_object())
    for (const char* tier : {"scale_up", "scale_out"}) {
      auto t = tiers->find(tier);
      if (t == tiers->end() || !t->is_object()) continue;
      out += fmt::format("tier\t{}\t{}\t{}\t{}\t{}\n", tier, number(*t, "bandwidth_bps"), number(*t, "latency_ns"),
                         number(*t, "emulated_bandwidth_bps"), number(*t, "emulated_latency_ns"));
    }
  out += "# rank node host local_rank domain netns scale_up:ifname,address scale_out:ifname,address,leaf\n";
  out.reserve(out.size() + ranks.size() * 96);
  for (const auto& r : ranks) {
    out += "rank\t" + field(r.at("rank"), "rank") + '\t' + field(r.value("node", nlohmann::json()), "node");
    for (const char* key : {"host", "local_rank", "domain"}) out += '\t' + field(r.value(key, nlohmann::json(-1)), key);
    out += '\t' + field(r.value("netns", nlohmann::json()), "netns");
    endpoint(out, r, "scale_up", false);
    endpoint(out, r, "scale_out", true);
    out += '\n';
  }
  return out;
}

}  // namespace scalelab::plan
