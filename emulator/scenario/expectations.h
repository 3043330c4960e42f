#pragma once
// Judging a drill from its event log: each expectation passes or fails with the figure it
// measured, so a failed drill says by how much.
#include <nlohmann/json.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "emulator/scenario/scenario.h"

namespace scalelab::scenario {

struct Verdict {
  std::string expectation;  // "error_detected after step 1"
  bool passed = false;
  std::string measured, required;
  std::string json_pointer;
};

struct RunFacts {
  std::vector<nlohmann::json> events;     // the log, sorted by t
  std::map<int, double> step_applied_at;  // file step index → t it was applied (first occurrence)
  std::vector<int> ranks_of_step_targets; // ranks killed/stopped by any step (not expected to report)
  int world_size = 0;
  double hang_deadline_s = 0;             // when the engine would have had to end the workload
  bool workload_killed_at_deadline = false;
  double workload_ended_at = -1;          // t all ranks had exited; -1 if never
  bool workload_succeeded = false;        // every rank exited 0 (last launch)
};


std::vector<Verdict> evaluate(const Scenario& scenario, const RunFacts& facts,
                              const std::function<std::vector<int>(const std::string&)>& ranks_of);

// Mean busbw of iterations ending in [from, to), over all ranks; 0 when none.
double mean_busbw(const std::vector<nlohmann::json>& events, double from, double to);
double healthy_baseline(const std::vector<nlohmann::json>& events, double until);

}  // namespace scalelab::scenario
