#include "emulator/cli/job_prediction.h"

#include <cmath>

#include <fmt/format.h>

namespace scalelab::cli {

costmodel::JobPrediction mean_job_prediction(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                                             int first, int count, bool emulated, const costmodel::Options& options) {
  costmodel::JobPrediction mean;
  for (int k = 0; k < count; ++k) {
    const auto p = costmodel::predict_job(plan, spec, layout, first + k, emulated, options);
    if (k == 0) {
      mean = p;
      continue;
    }
    mean.step_seconds += p.step_seconds, mean.compute_seconds += p.compute_seconds, mean.exposed_seconds += p.exposed_seconds;
    for (std::size_t i = 0; i < p.phases.size(); ++i) mean.phases[i].seconds += p.phases[i].seconds;
  }
  const double c = std::max(1, count);
  mean.step_seconds /= c, mean.compute_seconds /= c, mean.exposed_seconds /= c;
  for (auto& ph : mean.phases) ph.seconds /= c;
  return mean;
}

void print_job_prediction(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                          const costmodel::Options& options) {
  const auto real = mean_job_prediction(plan, spec, layout, 1, 5, false, options);
  const auto emu = mean_job_prediction(plan, spec, layout, 1, 5, true, options);
  fmt::print("# Job model: {} on {} ({} GPUs): {}; steps 1-5 averaged (docs/jobs.md)\n", spec.name, plan.cluster, layout.world,
             layout.describe());
  fmt::print("# {:<14} {:>16} {:>20}\n", "", "real cluster (ms)", fmt::format("emulated ×{:g} (ms)", plan.dilation));
  auto row = [](const std::string& name, double r, double e) { fmt::print("  {:<14} {:>16.4f} {:>20.2f}\n", name, r * 1e3, e * 1e3); };
  row("step", real.step_seconds, emu.step_seconds);
  row("exposed comm", real.exposed_seconds, emu.exposed_seconds);
  for (std::size_t i = 0; i < real.phases.size(); ++i) row(real.phases[i].name, real.phases[i].seconds, emu.phases[i].seconds);
  fmt::print("# a phase's time is the slowest rank's in its operations, waiting for its peers included; they overlap\n");
}

double print_job_comparison(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                            const nlohmann::json& measured, const costmodel::Options& options) {
  int first = -1, count = 0;
  double step = 0, exposed = 0;
  std::map<std::string, double> phases;
  for (const auto& s : measured.value("steps", nlohmann::json::array())) {
    if (s.value("warmup", false)) continue;
    if (first < 0) first = s.value("step", 1);
    ++count;
    step += s.value("time_ms", 0.0), exposed += s.value("exposed_ms", 0.0);
    for (auto it = s["phases_ms"].begin(); it != s["phases_ms"].end(); ++it) phases[it.key()] += it.value().get<double>();
  }
  if (count == 0) return 0;
  const auto p = mean_job_prediction(plan, spec, layout, first, count, true, options);
  fmt::print("\n# Model comparison (job {}, {} timed steps, emulated units, transport {}; docs/jobs.md)\n", spec.name, count,
             costmodel::to_string(options.transport));
  fmt::print("# {:<14} {:>14} {:>14} {:>8}\n", "", "measured (ms)", "model (ms)", "error");
  auto row = [](const std::string& name, double m, double e) {
    fmt::print("  {:<14} {:>14.2f} {:>14.2f} {:>7.1f}%\n", name, m, e, m > 0 ? 100 * (m - e) / e : 0.0);
  };
  row("step", step / count, p.step_seconds * 1e3);
  row("exposed comm", exposed / count, p.exposed_seconds * 1e3);
  for (const auto& ph : p.phases) row(ph.name, phases[ph.name] / count, ph.seconds * 1e3);
  const double err = p.step_seconds > 0 ? 100 * std::abs(step / count - p.step_seconds * 1e3) / (p.step_seconds * 1e3) : 0;
  fmt::print("# step time error {:.1f}% (target ±15%)\n", err);
  return err;
}

}  // namespace scalelab::cli
