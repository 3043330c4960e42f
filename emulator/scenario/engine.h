#pragma once
// Runs a drill end to end: bring the cluster up, start the workload, apply the timeline on
// schedule, judge the expectations, write the reports, and take everything down again —
// also when the drill fails or is interrupted.
#include <optional>
#include <string>
#include <vector>

#include "emulator/scenario/expectations.h"
#include "emulator/scenario/scenario.h"

namespace scalelab::scenario {

struct RunOptions {
  std::string report_dir;  // events.jsonl, verdict.json, trace.json, report.html, agents.log
  bool keep = false;       // leave the cluster up afterwards
  bool verbose = false;    // stream the workload's output
  // The cluster's name instead of the topology's: the same drill run twice at once, or beside a
  // cluster of the topology's name that is already up.
  std::optional<std::string> cluster_name;
};

struct RunResult {
  bool passed = false;
  bool interrupted = false;
  std::vector<Verdict> verdicts;
  double max_lateness_ms = 0;  // how late the worst action was applied
  std::string cluster;
};

// Validates everything (targets, units, kernel features) before touching the kernel; throws
// ScenarioError naming file and JSON pointer.
RunResult run_scenario(const Scenario& scenario, const RunOptions& options);
// What run_scenario checks before it builds anything, but this kernel: the topology, and every
// target and selector against its plan. Needs no root.
void check_scenario(const Scenario& scenario);

std::string verdict_table(const RunResult& result);

}  // namespace scalelab::scenario
