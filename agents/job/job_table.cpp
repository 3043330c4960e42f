#include "job/job_table.h"

#include <fmt/format.h>

namespace scalelab::agent {

std::vector<std::string> job_step_header(const std::vector<std::string>& phases) {
  std::string names = fmt::format("#  {:>5} {:>11} {:>11}", "step", "time", "exposed");
  std::string units = fmt::format("#  {:>5} {:>11} {:>11}", "", "(ms)", "comm (ms)");
  for (const auto& p : phases) {
    names += fmt::format(" {:>11}", p);
    units += fmt::format(" {:>11}", "(ms)");
  }
  names += fmt::format(" {:>7} {:>13}", "#wrong", "real step");
  units += fmt::format(" {:>7} {:>13}", "", "(ms)");
  return {names, units};
}

std::string job_step_row(const StepFigures& s, double dilation) {
  std::string row = fmt::format("   {:>5} {:>11.2f} {:>11.2f}", s.warmup ? fmt::format("w{}", s.step) : std::to_string(s.step),
                                s.seconds * 1e3, s.exposed_seconds * 1e3);
  for (const auto& p : s.phases) row += fmt::format(" {:>11.2f}", p.seconds * 1e3);
  row += fmt::format(" {:>7} {:>13.4f}", s.wrong < 0 ? "N/A" : std::to_string(s.wrong), s.seconds * 1e3 / dilation);
  return row;
}

std::vector<std::string> job_summary(const JobReport& r, const std::vector<std::string>& phases, double dilation) {
  int timed = 0;
  double exposed = 0;
  std::vector<double> phase(phases.size(), 0);
  for (const auto& s : r.steps) {
    if (s.warmup) continue;
    ++timed;
    exposed += s.exposed_seconds;
    for (std::size_t i = 0; i < s.phases.size() && i < phase.size(); ++i) phase[i] += s.phases[i].seconds;
  }
  std::vector<std::string> out;
  if (!timed) return out;
  out.push_back(fmt::format("# Mean of {} timed steps: step {:.2f} ms, exposed communication {:.2f} ms ({:.0f}%); projected real "
                            "step {:.4f} ms", timed, r.mean_step_seconds * 1e3, exposed / timed * 1e3,
                            r.mean_step_seconds > 0 ? 100 * exposed / timed / r.mean_step_seconds : 0,
                            r.mean_step_seconds * 1e3 / dilation));
  std::string line = "#   per phase (slowest rank):";
  for (std::size_t i = 0; i < phases.size(); ++i) line += fmt::format(" {} {:.2f} ms;", phases[i], phase[i] / timed * 1e3);
  line.pop_back();
  out.push_back(line);
  out.push_back(fmt::format("# Data check: {}", r.wrong < 0 ? "not run" : r.wrong == 0 ? "every operation correct (#wrong 0)"
                                                                                     : fmt::format("{} wrong", r.wrong)));
  return out;
}

std::vector<std::string> job_group_table(const JobReport& r, double dilation) {
  std::vector<std::string> out = {
      fmt::format("#  {:>5} {:>5} {:>7} {:>10} {:>8} {:>14} {:>12} {:>11} {:>13}", "group", "size", "groups", "tier",
                  "ops/step", "bytes/step", "time/step", "busbw", "real busbw"),
      fmt::format("#  {:>5} {:>5} {:>7} {:>10} {:>8} {:>14} {:>12} {:>11} {:>13}", "", "", "", "", "", "(B, per rank)", "(ms)",
                  "(GB/s)", "(GB/s)")};
  for (const auto& g : r.groups)
    out.push_back(fmt::format("   {:>5} {:>5} {:>7} {:>10} {:>8} {:>14.0f} {:>12.2f} {:>11.4f} {:>13.2f}", job::group_kind_name(g.kind),
                              g.size, g.count, g.tier, g.ops_per_step, g.bytes_per_step, g.seconds_per_step * 1e3, g.busbw_GBps,
                              g.busbw_GBps * dilation));
  return out;
}

}  // namespace scalelab::agent
