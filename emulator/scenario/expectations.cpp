#include "emulator/scenario/expectations.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "emulator/scenario/faults_in_force.h"

namespace scalelab::scenario {
namespace {

double iteration_end(const nlohmann::json& e) { return e["t"].get<double>(); }
bool is(const nlohmann::json& e, const char* type) { return e.value("type", "") == type; }

// How a rank reports an error: the agents print SCALELAB_ERROR and exit 3; a user's command
// (torch, MPI, …) knows nothing of scalelab, so any non-zero exit it makes on its own is its
// report. Ranks scalelab itself ended (a failed peer's group stopped, a kill step) are not.
bool reports_error(const nlohmann::json& e, bool command_workload) {
  if (is(e, "agent_error")) return true;
  if (!is(e, "rank_exit")) return false;
  const int status = e.value("status", 0);
  if (command_workload) return status != 0 && !e.value("killed_by_scalelab", false);
  return status == 3;
}

// "; while link_down gpu0-leaf0": what was in force when the first rank gave up.
std::string faults_at_first_failure(const std::vector<nlohmann::json>& events) {
  for (const auto& e : events)
    if (is(e, "rank_exit") && e.value("status", 0) != 0 && !e.value("killed_by_scalelab", false))
      return "; while " + describe_faults(faults_in_force(events, e["t"].get<double>()));
  return "";
}

std::string describe_ranks(const std::vector<int>& ranks) {
  std::string out;
  for (int r : ranks) out += (out.empty() ? "" : ",") + std::to_string(r);
  return out.empty() ? "none" : out;
}

// How long a step's fault lasts once applied: flaps and steps with a duration end by themselves.
double step_effect_s(const Scenario& scenario, int file_index) {
  for (const auto& step : scenario.steps)
    if (step.index == file_index) {
      if (step.action == "flap") return step.count * step.period_s;
      return step.duration_s.value_or(0);
    }
  return 0;
}

}  // namespace

double mean_busbw(const std::vector<nlohmann::json>& events, double from, double to) {
  double sum = 0;
  int n = 0;
  for (const auto& e : events)
    if (is(e, "iteration") && iteration_end(e) >= from && iteration_end(e) < to) sum += e.value("busbw_GBps", 0.0), n++;
  return n ? sum / n : 0;
}

double healthy_baseline(const std::vector<nlohmann::json>& events, double until) {
  // The first iteration of each rank pays for connection setup: leave it out.
  std::set<int> seen;
  double sum = 0;
  int n = 0;
  for (const auto& e : events) {
    if (!is(e, "iteration") || iteration_end(e) >= until) continue;
    if (seen.insert(e.value("rank", -1)).second) continue;
    sum += e.value("busbw_GBps", 0.0), n++;
  }
  return n ? sum / n : 0;
}

std::vector<Verdict> evaluate(const Scenario& scenario, const RunFacts& facts, const std::function<std::vector<int>(const std::string&)>& ranks_of) {
  std::vector<Verdict> out;
  double first_step = scenario.steps.empty() ? scenario.baseline_s : scenario.steps.front().at_s;
  double baseline = healthy_baseline(facts.events, std::min(first_step, scenario.baseline_s));
  const bool command_workload = !scenario.workload.command.empty();

  for (const auto& x : scenario.expectations) {
    Verdict v;
    v.json_pointer = x.json_pointer;
    double step_t = 0;
    if (x.after_step) {
      auto it = facts.step_applied_at.find(*x.after_step);
      step_t = it != facts.step_applied_at.end() ? it->second : -1;
      v.expectation = fmt::format("{} after step {}", x.kind, *x.after_step);
    } else {
      v.expectation = x.kind;
    }
    if (x.after_step && step_t < 0) {
      v.required = "step " + std::to_string(*x.after_step) + " applied";
      v.measured = "the step never ran";
      out.push_back(v);
      continue;
    }

    if (x.kind == "completes") {
      double within = x.within_s.value_or(facts.hang_deadline_s);
      v.required = fmt::format("every rank exits 0 within {:.1f} s", within);
      v.passed = facts.workload_succeeded && facts.workload_ended_at >= 0 && facts.workload_ended_at <= within;
      v.measured = facts.workload_ended_at < 0 ? "never finished"
                   : facts.workload_succeeded ? fmt::format("finished at {:.2f} s", facts.workload_ended_at)
                                              : fmt::format("failed, ended at {:.2f} s", facts.workload_ended_at) +
                                                    faults_at_first_failure(facts.events);
    } else if (x.kind == "no_hang") {
      v.required = fmt::format("every rank ends on its own before {:.1f} s", facts.hang_deadline_s);
      v.passed = !facts.workload_killed_at_deadline && facts.workload_ended_at >= 0;
      v.measured = v.passed ? fmt::format("all ended by {:.2f} s", facts.workload_ended_at) : "ranks still running at the deadline";
    } else if (x.kind == "error_detected") {
      std::vector<int> expected;
      for (const auto& sel : x.by) {
        auto r = ranks_of(sel);
        expected.insert(expected.end(), r.begin(), r.end());
      }
      std::sort(expected.begin(), expected.end());
      expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
      std::map<int, double> detected;  // rank → first error after the step
      for (const auto& e : facts.events)
        if (reports_error(e, command_workload) && e["t"].get<double>() >= step_t &&
            !detected.count(e.value("rank", -1)))
          detected[e.value("rank", -1)] = e["t"].get<double>() - step_t;
      std::vector<int> missing, late;
      double worst = 0;
      for (int r : expected) {
        auto it = detected.find(r);
        if (it == detected.end()) missing.push_back(r);
        else if (it->second > *x.within_s) late.push_back(r);
        else worst = std::max(worst, it->second);
      }
      v.required = fmt::format("ranks {} report an error within {:.2f} s", describe_ranks(expected), *x.within_s);
      v.passed = !expected.empty() && missing.empty() && late.empty();
      v.measured = v.passed ? fmt::format("all {} within {:.2f} s", expected.size(), worst)
                            : fmt::format("missing: {}; late: {}", describe_ranks(missing), describe_ranks(late));
      if (command_workload) v.measured += faults_at_first_failure(facts.events);
    } else if (x.kind == "busbw_at_least" || x.kind == "busbw_at_most") {
      // The window starts one second after the step: the collective in flight when the fault
      // hit straddles it and measures neither state.
      double window = x.window_s.value_or(3.0);
      double from = step_t + std::min(1.0, window / 2);
      double measured = mean_busbw(facts.events, from, from + window);
      double bound = baseline * *x.percent / 100;
      bool at_least = x.kind == "busbw_at_least";
      v.required = fmt::format("{} {:.0f}% of baseline {:.4f} GB/s = {:.4f} GB/s over {:.1f}..{:.1f} s after the step", at_least ? ">=" : "<=",
                               *x.percent, baseline, bound, from - step_t, from - step_t + window);
      v.passed = baseline > 0 && measured > 0 && (at_least ? measured >= bound : measured <= bound);
      v.measured = fmt::format("{:.4f} GB/s ({:.0f}% of baseline)", measured, baseline > 0 ? 100 * measured / baseline : 0);
    } else if (x.kind == "recovers") {
      // Measured from when the step's effect ends (a flap's last cycle, a duration's undo),
      // counting only collectives that started after it: a clean post-fault measurement.
      double effect_end = step_t + step_effect_s(scenario, *x.after_step);
      double need = baseline * *x.percent / 100;
      double recovered_at = -1;
      for (const auto& e : facts.events)
        if (is(e, "iteration") && e.value("start", iteration_end(e)) >= effect_end && e.value("busbw_GBps", 0.0) >= need) {
          recovered_at = iteration_end(e) - effect_end;
          break;
        }
      v.required = fmt::format("busbw back to >= {:.0f}% of baseline ({:.4f} GB/s) within {:.1f} s of the fault's end", *x.percent, need,
                               *x.within_s);
      v.passed = baseline > 0 && recovered_at >= 0 && recovered_at <= *x.within_s;
      v.measured = recovered_at < 0 ? "never recovered" : fmt::format("recovered after {:.2f} s", recovered_at);
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace scalelab::scenario
