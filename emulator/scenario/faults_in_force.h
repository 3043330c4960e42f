#pragma once
// Which faults were in force at a moment of a drill, replayed from its event log: a rank that
// fails is reported with them, so a drill names the link that was down when a user's workload
// (which knows nothing of scalelab) gave up.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab::scenario {

// From the "fault" events at or before `t`: "link_down gpu0-leaf0", "nic_down gpu3:nic0",
// "partition gpu0,gpu1 | gpu2,gpu3", "degrade rail:1" — in the order they were applied, each
// gone once undone (link_up, nic_up, heal, restore). Faults that failed to apply are left out.
std::vector<std::string> faults_in_force(const std::vector<nlohmann::json>& events, double t);

// "link_down gpu0-leaf0, nic_down gpu3:nic0", or "no fault in force".
std::string describe_faults(const std::vector<std::string>& faults);

}  // namespace scalelab::scenario
