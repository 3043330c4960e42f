#include "emulator/scenario/timeline.h"

#include <algorithm>
#include <map>

namespace scalelab::scenario {
namespace {

bool changes_topology(const std::string& action) {
  return action == "link_down" || action == "link_up" || action == "nic_down" || action == "nic_up";
}

const std::map<std::string, std::string> kUndo = {{"link_down", "link_up"}, {"nic_down", "nic_up"}, {"degrade", "restore"},
                                                  {"partition", "heal"},    {"stop", "cont"},       {"straggler", "release"}};

}  // namespace

std::vector<TimedAction> expand_timeline(const Scenario& scenario) {
  std::vector<TimedAction> out;
  for (const auto& step : scenario.steps) {
    if (step.action == "flap") {
      for (int k = 0; k < step.count; ++k) {
        double t = step.at_s + k * step.period_s;
        out.push_back({t, "link_down", &step, false});
        // A flap shorter than the control plane's convergence is over before it reacts: the
        // reroute for the down would run with the link up again and be logged against the down.
        if (scenario.convergence_s < step.period_s / 2) out.push_back({t + scenario.convergence_s, "reconverge", &step, false});
        out.push_back({t + step.period_s / 2, "link_up", &step, true});
        out.push_back({t + step.period_s / 2 + scenario.convergence_s, "reconverge", &step, true});
      }
      continue;
    }
    out.push_back({step.at_s, step.action, &step, false});
    const bool undone_before_convergence = step.duration_s && *step.duration_s <= scenario.convergence_s && kUndo.count(step.action);
    if (changes_topology(step.action) && !undone_before_convergence)
      out.push_back({step.at_s + scenario.convergence_s, "reconverge", &step, false});
    if (step.duration_s) {
      auto undo = kUndo.find(step.action);
      if (undo != kUndo.end()) {
        out.push_back({step.at_s + *step.duration_s, undo->second, &step, true});
        if (changes_topology(undo->second)) out.push_back({step.at_s + *step.duration_s + scenario.convergence_s, "reconverge", &step, true});
      }
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const TimedAction& a, const TimedAction& b) { return a.at_s < b.at_s; });
  return out;
}

}  // namespace scalelab::scenario
