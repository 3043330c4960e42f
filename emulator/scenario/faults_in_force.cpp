#include "emulator/scenario/faults_in_force.h"

#include <algorithm>
#include <sstream>

namespace scalelab::scenario {
namespace {

std::vector<std::string> words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

void erase_all(std::vector<std::string>& v, const std::string& item) { v.erase(std::remove(v.begin(), v.end(), item), v.end()); }

void erase_prefixed(std::vector<std::string>& v, const std::string& prefix) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; }), v.end());
}

}  // namespace

std::vector<std::string> faults_in_force(const std::vector<nlohmann::json>& events, double t) {
  std::vector<std::string> in_force;
  for (const auto& e : events) {
    if (e.value("type", "") != "fault" || e.contains("error") || e.value("t", 0.0) > t) continue;
    const std::string action = e.value("action", ""), detail = e.value("detail", ""), target = e.value("target", "");
    if (action == "link_down" || action == "nic_down") {
      // detail lists what was taken down: "gpu0-leaf0 gpu2-leaf0", "gpu3:nic0"
      for (const auto& name : words(detail))
        if (std::find(in_force.begin(), in_force.end(), action + " " + name) == in_force.end()) in_force.push_back(action + " " + name);
    } else if (action == "link_up" || action == "nic_up") {
      const std::string down = action == "link_up" ? "link_down " : "nic_down ";
      for (const auto& name : words(detail)) erase_all(in_force, down + name);
    } else if (action == "partition") {
      in_force.push_back("partition " + detail);
    } else if (action == "heal") {
      erase_prefixed(in_force, "partition ");
    } else if (action == "degrade") {
      in_force.push_back("degrade " + target);
    } else if (action == "restore") {
      erase_all(in_force, "degrade " + target);
    }
  }
  return in_force;
}

std::string describe_faults(const std::vector<std::string>& faults) {
  if (faults.empty()) return "no fault in force";
  std::string out;
  for (const auto& f : faults) out += (out.empty() ? "" : ", ") + f;
  return out;
}

}  // namespace scalelab::scenario
