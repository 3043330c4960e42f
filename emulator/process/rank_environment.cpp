#include "emulator/process/rank_environment.h"

#include <unistd.h>

#include <cctype>
#include <filesystem>

#include "emulator/plan/cluster_table.h"
#include "emulator/plan/hosts_file.h"

namespace scalelab::process {

std::map<std::string, std::string> rank_environment(const nlohmann::json& cluster_file, std::size_t rank,
                                                    const std::string& cluster_file_path) {
  const auto& ranks = cluster_file.at("ranks");
  const auto& me = ranks.at(rank);
  int host = me.value("host", -1);
  std::size_t local_world = 0;
  for (const auto& r : ranks) local_world += r.value("host", -2) == host;
  int base_port = cluster_file.value("base_port", 29500);
  // The address and interface that reach every rank (the rail NIC): the same ones the hosts
  // file gives each hostname, so name and interface based rendezvous agree.
  const auto master = plan::reachable_interface(ranks.at(0));
  const auto mine = plan::reachable_interface(me);
  std::map<std::string, std::string> env = {{"RANK", std::to_string(rank)},
          {"WORLD_SIZE", std::to_string(ranks.size())},
          {"LOCAL_RANK", std::to_string(me.value("local_rank", 0))},
          {"LOCAL_WORLD_SIZE", std::to_string(local_world)},
          {"MASTER_ADDR", master ? master->address : "127.0.0.1"},
          {"MASTER_PORT", std::to_string(base_port + kMasterPortOffset)},
          {"SCALELAB_CLUSTER", cluster_file.value("name", "")},
          {"SCALELAB_CLUSTER_FILE", cluster_file_path},
          {"SCALELAB_RANK", std::to_string(rank)},
          {"SCALELAB_NODE", me.value("node", "")}};
  // gloo and NCCL otherwise pick the interface their hostname resolves to, or the first one up;
  // TensorPipe (torch.distributed.rpc) reads its own variable.
  // scalelab's agents read the table when there is one: a millisecond where the JSON takes 12 (plan/cluster_table.h).
  const std::string table = (std::filesystem::path(cluster_file_path).parent_path() / plan::kClusterTableFile).string();
  if (!cluster_file_path.empty() && ::access(table.c_str(), R_OK) == 0) env["SCALELAB_CLUSTER_TABLE"] = table;
  if (mine && !mine->ifname.empty())
    for (const char* name : {"GLOO_SOCKET_IFNAME", "NCCL_SOCKET_IFNAME", "TP_SOCKET_IFNAME"}) env[name] = mine->ifname;
  return env;
}

std::string expand_variables(const std::string& text, const std::map<std::string, std::string>& env) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] != '$') {
      out += text[i++];
      continue;
    }
    bool braced = i + 1 < text.size() && text[i + 1] == '{';
    std::size_t start = i + (braced ? 2 : 1), end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) ++end;
    std::string name = text.substr(start, end - start);
    bool closed = !braced || (end < text.size() && text[end] == '}');
    auto found = env.find(name);
    if (name.empty() || !closed || found == env.end()) {
      out += text[i++];
      continue;
    }
    out += found->second;
    i = end + (braced ? 1 : 0);
  }
  return out;
}

}  // namespace scalelab::process
