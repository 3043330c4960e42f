#include "bench/report.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <fmt/printf.h>

namespace scalelab::agent {


bool is_reduction(Collective c) { return c == Collective::all_reduce || c == Collective::reduce_scatter; }
bool is_rooted(Collective c) { return c == Collective::broadcast; }

CollCounts coll_counts(Collective c, std::size_t count, int nranks) {
  const std::size_t n = static_cast<std::size_t>(nranks);
  CollCounts k;
  switch (c) {
    case Collective::all_reduce:
    case Collective::broadcast:
    case Collective::sendrecv:
      k.send = k.recv = k.param = count;
      break;
    case Collective::all_gather:
      k.send = count / n;
      k.recv = (count / n) * n;
      k.param = k.send;
      k.send_inplace_offset = count / n;
      break;
    case Collective::reduce_scatter:
      k.send = (count / n) * n;
      k.recv = count / n;
      k.param = k.recv;
      k.recv_inplace_offset = count / n;
      break;
    case Collective::alltoall:
      k.send = k.recv = (count / n) * n;
      k.param = count / n;
      break;
  }
  return k;
}


void get_bw(Collective c, std::size_t param_count, std::size_t elem_size, double seconds, int nranks, double& algbw,
            double& busbw) {
  double bytes = static_cast<double>(param_count) * static_cast<double>(elem_size);
  if (c == Collective::all_gather || c == Collective::reduce_scatter || c == Collective::alltoall) bytes *= nranks;
  algbw = seconds > 0 ? bytes / 1.0e9 / seconds : 0.0;
  busbw = algbw * bus_factor(c, nranks);
}

std::string format_time_us(double us) {
  if (us >= 10000.0) return fmt::sprintf("%7.0f", us);
  if (us >= 100.0) return fmt::sprintf("%7.1f", us);
  return fmt::sprintf("%7.2f", us);
}

std::vector<std::string> table_header() {
  return {
      fmt::sprintf("# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          ", "",
                   "", "", "", ""),
      fmt::sprintf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s %6s  %7s  %6s  %6s %6s", "size", "count", "type",
                   "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw", "#wrong"),
      fmt::sprintf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %5s  %7s  %6s  %6s  %5s", "(B)", "(elements)", "", "",
                   "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", ""),
  };
}

namespace {
std::string format_result(const Result& r) {
  const std::string wrong = r.wrong < 0 ? std::string("N/A") : std::to_string(r.wrong);
  return fmt::sprintf("  %7s  %6.2f  %6.2f  %5s", format_time_us(r.time_us), r.algbw, r.busbw, wrong);
}
}  // namespace

std::string format_row(const Row& r) {
  return fmt::sprintf("%12li  %12li  %8s  %6s  %6i", static_cast<long>(r.bytes), static_cast<long>(r.count), r.type,
                      r.redop, r.root) +
         format_result(r.oop) + format_result(r.ip);
}

std::optional<Row> parse_row(std::string_view line) {
  std::istringstream in{std::string(line)};
  std::vector<std::string> t;
  for (std::string w; in >> w;) t.push_back(w);
  if (t.size() != 13 || t[0].starts_with("#")) return std::nullopt;
  try {
    Row r;
    r.bytes = std::stoull(t[0]);
    r.count = std::stoull(t[1]);
    r.type = t[2];
    r.redop = t[3];
    r.root = std::stoi(t[4]);
    auto res = [&](int i, Result& o) {
      o.time_us = std::stod(t[i]);
      o.algbw = std::stod(t[i + 1]);
      o.busbw = std::stod(t[i + 2]);
      o.wrong = t[i + 3] == "N/A" ? -1 : std::stoll(t[i + 3]);
    };
    res(5, r.oop);
    res(9, r.ip);
    return r;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string table_footer(int errors, double avg_busbw) {
  return fmt::sprintf("# Out of bounds values : %d %s\n", errors, errors ? "FAILED" : "OK") +
         fmt::sprintf("# Avg bus bandwidth    : %g \n", avg_busbw) + "#\n";
}

nlohmann::json row_json(const Row& r, double dilation) {
  auto wrong = [](int64_t w) { return w < 0 ? nlohmann::json(nullptr) : nlohmann::json(w); };
  auto stages = [](const Result& res) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& s : res.stages) a.push_back({{"name", s.name}, {"time_us", s.time_us}});
    return a;
  };
  return {{"size", r.bytes},
          {"count", r.count},
          {"type", r.type},
          {"redop", r.redop},
          {"root", r.root},
          {"time_us", r.oop.time_us},
          {"algbw_GBps", r.oop.algbw},
          {"busbw_GBps", r.oop.busbw},
          {"wrong", wrong(r.oop.wrong)},
          {"inplace_time_us", r.ip.time_us},
          {"inplace_algbw_GBps", r.ip.algbw},
          {"inplace_busbw_GBps", r.ip.busbw},
          {"inplace_wrong", wrong(r.ip.wrong)},
          {"projected_busbw_GBps", r.oop.busbw * dilation},
          {"inplace_projected_busbw_GBps", r.ip.busbw * dilation},
          {"stages", stages(r.oop)},
          {"inplace_stages", stages(r.ip)}};
}

std::string format_event(const IterationEvent& e) {
  auto num = [](double v) { return std::isfinite(v) ? fmt::format("{:.6g}", v) : std::string("0"); };
  return fmt::format(
      "SCALELAB_EVENT {{\"type\":\"iteration\",\"rank\":{},\"iter\":{},\"start_unix\":{:.6f},\"end_unix\":{:.6f},"
      "\"bytes\":{},\"busbw_GBps\":{},\"algbw_GBps\":{}{}}}",
      e.rank, e.iter, e.start_unix, e.end_unix, e.bytes, num(e.busbw), num(e.algbw),
      e.wrong >= 0 ? fmt::format(",\"wrong\":{}", e.wrong) : std::string());
}

std::optional<IterationEvent> parse_event(std::string_view line) {
  constexpr std::string_view kPrefix = "SCALELAB_EVENT ";
  if (!line.starts_with(kPrefix)) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || j.value("type", "") != "iteration") return std::nullopt;
  try {
    IterationEvent e;
    e.rank = j.at("rank").get<int>();
    e.iter = j.at("iter").get<long>();
    e.start_unix = j.at("start_unix").get<double>();
    e.end_unix = j.at("end_unix").get<double>();
    e.bytes = j.at("bytes").get<std::size_t>();
    e.busbw = j.at("busbw_GBps").get<double>();
    e.algbw = j.at("algbw_GBps").get<double>();
    e.wrong = j.value("wrong", int64_t{-1});
    return e;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

}  // namespace scalelab::agent
