#pragma once
// A failure drill: a topology, a workload, a timeline of faults and the expectations that
// judge the outcome. Times are wall-clock seconds on this machine from the workload's start
// (drills are about what the software under test notices, in its own real time).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/model/input_error.h"

namespace scalelab::scenario {

struct Workload {
  // A collective in a loop (scalelab-agent) …
  std::string collective = "all_reduce";
  std::uint64_t bytes = 16ull << 20;
  std::string algo = "auto", transport = "auto", datatype = "float";
  double timeout_s = 2.0;  // the agents' per-step deadline
  bool check = false;      // check every iteration's output (-c 1): its #wrong lands in the events
  // … or any command per rank (argv, with $RANK etc. expanded) …
  std::vector<std::string> command;
  // … or a training job (jobs/*.json, resolved against the scenario's folder), stepping for
  // `duration` with one SCALELAB_EVENT per rank and step (busbw: the bytes it moved ÷ step time).
  std::string job;
  double duration_s = 15.0;  // how long the loop runs (the command: its own length, bounded by this + 30 s)
  bool restart_on_failure = false;  // relaunch every rank after a failure, like a job scheduler
};

struct Step {
  double at_s = 0;                 // resolved absolute time
  std::string action;              // link_down link_up flap degrade restore partition heal nic_down nic_up kill stop cont straggler
  std::string target;              // selector (partition: unused)
  std::vector<std::vector<std::string>> sides;  // partition
  std::optional<std::string> rate, delay, jitter, loss;  // degrade, as written (real-hardware units)
  std::optional<double> cpu_percent;                      // straggler
  double period_s = 0;             // flap: down for period/2, up for period/2
  int count = 1;                   // flap cycles
  std::optional<double> duration_s;  // degrade/straggler/partition/link_down: undo after this long
  std::string json_pointer;        // "/steps/2", for errors and reports
  int index = 0;                   // position in the file's steps
};

struct Expectation {
  std::string kind;  // completes error_detected no_hang busbw_at_least recovers
  std::optional<double> within_s;
  std::optional<int> after_step;
  std::vector<std::string> by;     // error_detected: rank selectors ("all" default)
  std::optional<double> percent;   // busbw_at_least / recovers: % of the healthy baseline
  std::optional<double> window_s;  // busbw_at_least: averaging window after the step
  std::string json_pointer;
};

struct Scenario {
  std::string name, source;
  std::string topology_path;          // resolved relative to the scenario file; empty when inline
  nlohmann::json topology_inline;     // when given inline
  unsigned seed = 1;
  double convergence_s = 0.2;         // the control plane's reroute delay after a link fault
  double baseline_s = 3.0;            // healthy measurement before the first step
  Workload workload;
  std::vector<Step> steps;            // sorted by at_s after parsing
  std::vector<Expectation> expectations;
};

// "<file>: <pointer>: <message>", like TopologyError; an empty pointer reads "(top level)".
class ScenarioError : public model::InputError {
 public:
  ScenarioError(const std::string& source, const std::string& pointer, const std::string& message)
      : InputError(source, pointer, message, source + ": " + (pointer.empty() ? "(top level)" : pointer) + ": " + message) {}
};

Scenario parse_scenario(const std::string& text, const std::string& source);
Scenario load_scenario(const std::string& path);

}  // namespace scalelab::scenario
