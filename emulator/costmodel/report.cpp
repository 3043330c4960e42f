#include "emulator/costmodel/report.h"

#include <cmath>

#include <fmt/format.h>

#include "emulator/model/units.h"

namespace scalelab::costmodel {
namespace {

// nccl-tests' time column: "%7.2f" below 100 us, "%7.1f" below 10 ms, "%7.0f" above.
std::string time_us(double us) {
  if (us >= 10000.0) return fmt::format("{:7.0f}", us);
  if (us >= 100.0) return fmt::format("{:7.1f}", us);
  return fmt::format("{:7.2f}", us);
}

// "%6.2f" as nccl-tests; emulated rates are often below 1 GB/s, so keep 4 decimals there.
std::string bw(double GBps) {
  if (GBps >= 1000.0) return fmt::format("{:6.0f}", GBps);
  if (GBps > 0 && GBps < 1.0) return fmt::format("{:6.4f}", GBps);
  return fmt::format("{:6.2f}", GBps);
}

std::string bandwidth(double bps) {
  if (!std::isfinite(bps) || bps <= 0) return "-";
  return model::format_bandwidth(static_cast<std::uint64_t>(std::llround(bps)));
}

std::string duration_us(double us) {
  if (!std::isfinite(us)) return "-";
  return model::format_duration(static_cast<std::uint64_t>(std::llround(us * 1000.0)));
}

std::string human_bytes(std::uint64_t b) {
  if (b >= (1ull << 30) && b % (1ull << 30) == 0) return fmt::format("{}GiB", b >> 30);
  if (b >= (1ull << 20) && b % (1ull << 20) == 0) return fmt::format("{}MiB", b >> 20);
  if (b >= (1ull << 10) && b % (1ull << 10) == 0) return fmt::format("{}KiB", b >> 10);
  return fmt::format("{}B", b);
}

double average_busbw(const std::vector<Prediction>& rows) {
  if (rows.empty()) return 0;
  double sum = 0;
  for (const auto& p : rows) sum += p.busbw_GBps;
  return sum / static_cast<double>(rows.size());
}

nlohmann::json bottleneck_json(const Bottleneck& b) {
  if (b.from.empty()) return nullptr;
  return {{"from", b.from},         {"to", b.to},       {"tier", model::to_string(b.tier)},
          {"role", b.role},         {"capacity_bps", b.capacity_bps}, {"load", b.load},
          {"messages", b.messages}, {"text", b.describe()}};
}

}  // namespace

Report make_report(const plan::Plan& plan, const CostModel& model, Collective c, Algorithm a,
                   const std::vector<std::uint64_t>& sizes) {
  Report r;
  r.cluster = plan.cluster;
  r.source = plan.source;
  r.collective = c;
  r.requested = a;
  r.options = model.options();
  r.dilation = model.dilation();
  r.nranks = model.nranks();
  r.paths = model.paths();
  for (std::uint64_t s : sizes) {
    r.real.push_back(model.predict(c, a, s, false));
    r.emulated.push_back(model.predict(c, a, s, true));
  }
  return r;
}

std::string report_text(const Report& r, bool emulated_only) {
  std::string out;
  const std::string algorithm = r.real.empty() ? std::string(to_string(r.requested)) : r.real.front().algorithm;
  out += fmt::format("# scalelab model: {} on {} ({} ranks), algorithm {}{}\n", to_string(r.collective), r.cluster,
                     r.nranks, algorithm,
                     r.collective == Collective::all_reduce && r.requested == Algorithm::automatic ? " (auto)" : "");
  out += fmt::format("# dilation {:g}, transport {}, ECMP {}, chunk {}, {}-byte elements{}\n", r.dilation,
                     to_string(r.options.transport), to_string(r.options.ecmp),
                     r.options.chunk_bytes ? human_bytes(r.options.chunk_bytes) : std::string("none"),
                     r.options.dtype_bytes,
                     r.collective == Collective::broadcast ? fmt::format(", root {}", r.options.root) : "");
  if (!r.paths.empty()) {
    out += fmt::format("# {:<16} {:<8} {:<9} {:>4}  {:>21}  {:>23}\n", "path from " + r.paths.front().example_from,
                       "to", "tier", "hops", "latency real → emul.", "slowest link real → emul.");
    for (const auto& p : r.paths)
      out += fmt::format("#   {:<14} {:<8} {:<9} {:>4}  {:>21}  {:>23}\n", p.kind, p.example_to, model::to_string(p.tier),
                         p.hops, duration_us(p.latency_real_us) + " → " + duration_us(p.latency_emulated_us),
                         bandwidth(p.bandwidth_real_bps) + " → " + bandwidth(p.bandwidth_emulated_bps));
  }
  out += "#\n";
  if (emulated_only) {
    out += fmt::format("# {:>10}  {:>12}  {:>7}  {:>6}  {:>6}  {}\n", "size", "count", "time", "algbw", "busbw",
                       "bottleneck (emulated)");
    out += fmt::format("# {:>10}  {:>12}  {:>7}  {:>6}  {:>6}\n", "(B)", "(elements)", "(us)", "(GB/s)", "(GB/s)");
  } else {
    std::string title = fmt::format("# {:>10}  {:>12}  {:^24}  {:^24}", "", "", "real cluster",
                                    fmt::format("emulated (×{:g})", r.dilation));
    title.erase(title.find_last_not_of(' ') + 1);
    out += title + "\n";
    out += fmt::format("# {:>10}  {:>12}  {:>7}  {:>6}  {:>6}   {:>7}  {:>6}  {:>6}  {}\n", "size", "count", "time",
                       "algbw", "busbw", "time", "algbw", "busbw", "bottleneck");
    out += fmt::format("# {:>10}  {:>12}  {:>7}  {:>6}  {:>6}   {:>7}  {:>6}  {:>6}\n", "(B)", "(elements)", "(us)",
                       "(GB/s)", "(GB/s)", "(us)", "(GB/s)", "(GB/s)");
  }
  for (std::size_t i = 0; i < r.real.size(); ++i) {
    const Prediction& real = r.real[i];
    const Prediction& emu = r.emulated[i];
    if (emulated_only)
      out += fmt::format("{:>12}  {:>12}  {}  {}  {}  {}\n", emu.bytes, emu.count, time_us(emu.time_us),
                         bw(emu.algbw_GBps), bw(emu.busbw_GBps), emu.bottleneck());
    else
      out += fmt::format("{:>12}  {:>12}  {}  {}  {}   {}  {}  {}  {}\n", real.bytes, real.count, time_us(real.time_us),
                         bw(real.algbw_GBps), bw(real.busbw_GBps), time_us(emu.time_us), bw(emu.algbw_GBps),
                         bw(emu.busbw_GBps), real.bottleneck());
  }
  if (emulated_only) {
    out += fmt::format("# Avg bus bandwidth    : {:g}\n", average_busbw(r.emulated));
  } else {
    out += fmt::format("# Avg bus bandwidth    : {:g} real, {:g} emulated (GB/s)\n", average_busbw(r.real),
                       average_busbw(r.emulated));
  }
  if (!r.real.empty()) {
    const Prediction& real = r.real.back();
    const Prediction& emu = r.emulated.back();
    out += fmt::format("#\n# stages at {} B ({}), time real / emulated:\n", real.bytes, human_bytes(real.bytes));
    for (std::size_t s = 0; s < real.stages.size(); ++s) {
      const Stage& st = real.stages[s];
      const Stage& se = emu.stages[s];
      out += fmt::format("#   {:<21} {} × {} ranks, {} steps of {} B, ≤{} hops: {} / {} ({:.0f}% of the time)\n",
                         st.name, st.groups, st.group_size, st.steps, st.bytes_per_step, st.max_hops,
                         duration_us(st.time_us), duration_us(se.time_us),
                         real.time_us > 0 ? 100.0 * st.time_us / real.time_us : 0.0);
      out += fmt::format("#   {:<21} alpha {}, beta {} at {:.4g} GB/s per message: {}-bound at {}\n", "",
                         duration_us(st.latency_us), duration_us(st.bandwidth_us), st.rate_GBps,
                         st.latency_bound ? "latency" : "bandwidth", st.bottleneck.describe());
    }
  }
  return out;
}

nlohmann::json prediction_json(const Prediction& p) {
  nlohmann::json stages = nlohmann::json::array();
  for (const auto& s : p.stages)
    stages.push_back({{"name", s.name},
                      {"group_size", s.group_size},
                      {"groups", s.groups},
                      {"steps", s.steps},
                      {"bytes_per_step", s.bytes_per_step},
                      {"max_hops", s.max_hops},
                      {"latency_us", s.latency_us},
                      {"bandwidth_us", s.bandwidth_us},
                      {"time_us", s.time_us},
                      {"rate_GBps", s.rate_GBps},
                      {"bound", s.latency_bound ? "latency" : "bandwidth"},
                      {"bottleneck", bottleneck_json(s.bottleneck)}});
  return {{"time_us", p.time_us},
          {"algbw_GBps", p.algbw_GBps},
          {"busbw_GBps", p.busbw_GBps},
          {"bottleneck_stage", p.bottleneck_stage},
          {"bottleneck", p.bottleneck()},
          {"stages", stages}};
}

nlohmann::json report_json(const Report& r) {
  nlohmann::json paths = nlohmann::json::array();
  for (const auto& p : r.paths)
    paths.push_back({{"kind", p.kind},
                     {"from", p.example_from},
                     {"to", p.example_to},
                     {"tier", model::to_string(p.tier)},
                     {"hops", p.hops},
                     {"latency_real_us", p.latency_real_us},
                     {"latency_emulated_us", p.latency_emulated_us},
                     {"bandwidth_real_bps", p.bandwidth_real_bps},
                     {"bandwidth_emulated_bps", p.bandwidth_emulated_bps}});
  nlohmann::json rows = nlohmann::json::array();
  for (std::size_t i = 0; i < r.real.size(); ++i)
    rows.push_back({{"bytes", r.real[i].bytes},
                    {"count", r.real[i].count},
                    {"real", prediction_json(r.real[i])},
                    {"emulated", prediction_json(r.emulated[i])}});
  return {{"cluster", r.cluster},
          {"source", r.source},
          {"collective", to_string(r.collective)},
          {"algorithm", r.real.empty() ? std::string(to_string(r.requested)) : r.real.front().algorithm},
          {"requested_algorithm", to_string(r.requested)},
          {"nranks", r.nranks},
          {"dilation", r.dilation},
          {"options",
           {{"transport", to_string(r.options.transport)},
            {"ecmp", to_string(r.options.ecmp)},
            {"chunk_bytes", r.options.chunk_bytes},
            {"dtype_bytes", r.options.dtype_bytes},
            {"root", r.options.root}}},
          {"paths", paths},
          {"rows", rows},
          {"avg_busbw_GBps", {{"real", average_busbw(r.real)}, {"emulated", average_busbw(r.emulated)}}}};
}

}  // namespace scalelab::costmodel
