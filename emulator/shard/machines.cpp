#include "emulator/shard/machines.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace scalelab::shard {
namespace {

bool is_ipv4(const std::string& text) {
  in_addr a{};
  return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

std::string host_of(const std::string& ssh) {
  auto at = ssh.rfind('@');
  return at == std::string::npos ? ssh : ssh.substr(at + 1);
}

const char* kFix = "each machine is {\"name\": …, \"ssh\": \"user@host\", \"underlay\": \"<IPv4>\"} (optional: underlay_dev, scalelab)";

std::string string_field(const nlohmann::json& m, const char* key, const std::string& source, const std::string& at, bool required) {
  if (!m.contains(key)) {
    if (required) throw MachinesError(source, at + "/" + key, fmt::format("missing; {}", kFix));
    return "";
  }
  if (!m[key].is_string() || m[key].get<std::string>().empty())
    throw MachinesError(source, at + "/" + key, fmt::format("must be a non-empty string; {}", kFix));
  return m[key].get<std::string>();
}

void check(const Machines& ms) {
  if (ms.list.empty()) throw MachinesError(ms.source, "/machines", "no machines: give at least one");
  std::set<std::string> names, underlays;
  for (std::size_t i = 0; i < ms.list.size(); ++i) {
    const auto& m = ms.list[i];
    const auto at = fmt::format("/machines/{}", i);
    if (!names.insert(m.name).second) throw MachinesError(ms.source, at + "/name", fmt::format("machine {} is named twice", m.name));
    if (!is_ipv4(m.underlay))
      throw MachinesError(ms.source, at + "/underlay", fmt::format("\"{}\" is not an IPv4 address: give the machine's address on the underlay", m.underlay));
    if (!underlays.insert(m.underlay).second)
      throw MachinesError(ms.source, at + "/underlay", fmt::format("{} is the underlay address of two machines", m.underlay));
  }
}

}  // namespace

Machines parse_machines(const std::string& text, const std::string& source) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text, nullptr, true, true);
  } catch (const nlohmann::json::exception& e) {
    throw MachinesError(source, "", fmt::format("not valid JSON ({}); {}", e.what(), kFix));
  }
  if (!doc.is_object() || !doc.contains("machines") || !doc["machines"].is_array())
    throw MachinesError(source, "/machines", fmt::format("expected {{\"machines\": [ … ]}}; {}", kFix));
  for (const auto& [key, _] : doc.items())
    if (key != "machines" && key != "ssh_options")
      throw MachinesError(source, "/" + key, "unknown key: the file has \"machines\" and \"ssh_options\"");
  Machines ms;
  ms.source = source;
  if (doc.contains("ssh_options")) {
    if (!doc["ssh_options"].is_array()) throw MachinesError(source, "/ssh_options", "must be a list of ssh arguments");
    for (std::size_t i = 0; i < doc["ssh_options"].size(); ++i) {
      if (!doc["ssh_options"][i].is_string()) throw MachinesError(source, fmt::format("/ssh_options/{}", i), "must be a string");
      ms.ssh_options.push_back(doc["ssh_options"][i]);
    }
  }
  for (std::size_t i = 0; i < doc["machines"].size(); ++i) {
    const auto& m = doc["machines"][i];
    const auto at = fmt::format("/machines/{}", i);
    if (!m.is_object()) throw MachinesError(source, at, kFix);
    for (const auto& [key, _] : m.items())
      if (key != "name" && key != "ssh" && key != "underlay" && key != "underlay_dev" && key != "scalelab")
        throw MachinesError(source, at + "/" + key, fmt::format("unknown key; {}", kFix));
    Machine machine;
    machine.name = string_field(m, "name", source, at, true);
    machine.ssh = string_field(m, "ssh", source, at, true);
    machine.underlay = m.contains("underlay") ? string_field(m, "underlay", source, at, true) : host_of(machine.ssh);
    machine.underlay_dev = string_field(m, "underlay_dev", source, at, false);
    if (auto bin = string_field(m, "scalelab", source, at, false); !bin.empty()) machine.scalelab = bin;
    ms.list.push_back(machine);
  }
  check(ms);
  return ms;
}

Machines load_machines(const std::string& spec) {
  if (std::filesystem::is_regular_file(spec)) {
    std::ifstream in(spec);
    std::stringstream text;
    text << in.rdbuf();
    return parse_machines(text.str(), spec);
  }
  Machines ms;
  ms.source = "--machines";
  std::stringstream list(spec);
  for (std::string target; std::getline(list, target, ',');) {
    if (target.empty()) throw MachinesError(ms.source, "", "an empty machine in the list: give user@host,user@host,… or a machines file");
    if (!is_ipv4(host_of(target)))
      throw MachinesError(ms.source, "", fmt::format("{}: give the host as its IPv4 underlay address, or use a machines file (JSON) "
                                                     "naming each machine's ssh target and underlay address", target));
    ms.list.push_back({host_of(target), target, host_of(target), "", "scalelab"});
  }
  check(ms);
  return ms;
}

std::vector<std::string> machine_names(const Machines& machines) {
  std::vector<std::string> names;
  for (const auto& m : machines.list) names.push_back(m.name);
  return names;
}

}  // namespace scalelab::shard
