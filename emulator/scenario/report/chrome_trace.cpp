#include "emulator/scenario/report/chrome_trace.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <set>

#include "emulator/scenario/report/event_fields.h"

namespace scalelab::report {
namespace {

using nlohmann::json;

// Seconds → µs, rounded to the nanosecond so 1.05 s writes as 1050000.0, not 1050000.0000000002.
double to_us(double seconds) {
  double us = std::round(seconds * 1e9) / 1e3;
  return us > 0 ? us : 0.0;
}

// Every field except t and type.
json args_of(const json& event) {
  json args = json::object();
  for (auto it = event.begin(); it != event.end(); ++it) {
    if (it.key() != "t" && it.key() != "type") args[it.key()] = it.value();
  }
  return args;
}

// A rank named by the event, if it is a sane one.
std::optional<int> rank_of(const json& event) {
  auto rank = integer_field(event, "rank");
  if (!rank || *rank < 0 || *rank > 1'000'000) return std::nullopt;
  return static_cast<int>(*rank);
}

json instant(std::string name, std::string cat, double ts, std::optional<int> rank, json args) {
  json e = {{"name", std::move(name)}, {"cat", std::move(cat)}, {"ph", "i"}, {"ts", ts}, {"pid", kTracePid}};
  if (rank) {
    e["tid"] = trace_tid(*rank);
    e["s"] = "t";
  } else {
    e["tid"] = kTracePid;
    e["s"] = "g";
  }
  e["args"] = std::move(args);
  return e;
}

json metadata(const char* name, int tid, json args) {
  return {{"name", name}, {"ph", "M"}, {"pid", kTracePid}, {"tid", tid}, {"args", std::move(args)}};
}

}  // namespace

json chrome_trace(const std::vector<json>& events) {
  const json* scenario = nullptr;
  std::set<int> ranks;
  for (const auto& event : events) {
    if (!scenario && event_type(event) == "scenario") scenario = &event;
    if (auto rank = rank_of(event)) ranks.insert(*rank);
  }
  if (scenario) {
    auto world = integer_field(*scenario, "world_size");
    for (long long r = 0; world && r < std::min<long long>(*world, 65536); ++r) ranks.insert(static_cast<int>(r));
  }
  const std::string collective = scenario ? string_field(*scenario, "collective", "iteration") : "iteration";

  json timed = json::array();
  std::vector<const json*> verdicts;
  double end_us = 0;
  std::size_t skipped = 0;
  for (const auto& event : events) {
    auto t = number_field(event, "t");
    if (!t) {
      ++skipped;
      continue;
    }
    const std::string type = event_type(event);
    const double ts = to_us(*t);
    end_us = std::max(end_us, ts);
    auto rank = rank_of(event);
    if (type == "verdict") {
      verdicts.push_back(&event);
    } else if (type == "iteration" && rank) {
      double start = *t;
      if (auto s = number_field(event, "start")) {
        start = *s;
      } else if (auto ms = number_field(event, "duration_ms")) {
        start = *t - *ms / 1e3;
      }
      const double begin = to_us(std::min(start, *t));
      json x = {{"name", collective}, {"cat", "collective"}, {"ph", "X"}, {"ts", begin}, {"dur", std::max(0.0, std::round((ts - begin) * 1e3) / 1e3)},
                {"pid", kTracePid}, {"tid", trace_tid(*rank)}, {"args", args_of(event)}};
      timed.push_back(std::move(x));
    } else if (type == "fault") {
      std::string name = fmt::format("fault: {} {}", string_field(event, "action", "?"), string_field(event, "target"));
      while (!name.empty() && name.back() == ' ') name.pop_back();
      timed.push_back(instant(std::move(name), "fault", ts, std::nullopt, args_of(event)));
    } else if (type == "reroute") {
      auto changed = field_text(event, "routes_changed");
      timed.push_back(instant(changed.empty() ? "reroute" : fmt::format("reroute: {} routes changed", changed), "network", ts,
                              std::nullopt, args_of(event)));
    } else if (type == "agent_error") {
      auto cause = string_field(event, "cause");
      timed.push_back(instant(cause.empty() ? "agent error" : "agent error: " + cause, "error", ts, rank, args_of(event)));
    } else if (type == "rank_exit") {
      auto status = field_text(event, "status");
      timed.push_back(instant(status.empty() ? "rank exit" : "rank exit: status " + status, "error", ts, rank, args_of(event)));
    } else if (type == "scenario") {
      timed.push_back(instant("scenario start", "scenario", ts, std::nullopt, args_of(event)));
    } else {
      timed.push_back(instant(type.empty() ? "event" : type, "other", ts, rank, args_of(event)));
    }
  }
  for (const auto& e : timed) end_us = std::max(end_us, e["ts"].get<double>() + e.value("dur", 0.0));
  std::stable_sort(timed.begin(), timed.end(), [](const json& a, const json& b) { return a["ts"].get<double>() < b["ts"].get<double>(); });

  json out = json::array();
  const std::string cluster = scenario ? string_field(*scenario, "cluster") : "";
  out.push_back(metadata("process_name", kTracePid, {{"name", cluster.empty() ? std::string("cluster") : "cluster " + cluster}}));
  if (scenario) {
    if (auto name = string_field(*scenario, "name"); !name.empty()) out.push_back(metadata("process_labels", kTracePid, {{"labels", name}}));
  }
  for (int rank : ranks) {
    out.push_back(metadata("thread_name", trace_tid(rank), {{"name", fmt::format("rank {}", rank)}}));
    out.push_back(metadata("thread_sort_index", trace_tid(rank), {{"sort_index", rank}}));
  }
  for (auto& e : timed) out.push_back(std::move(e));
  // Verdicts are judged once the drill is over: keep them after everything else, in log order.
  for (const json* v : verdicts) {
    const double ts = std::max(end_us, to_us(*number_field(*v, "t")));
    end_us = ts;
    const bool passed = v->is_object() && v->contains("passed") && (*v)["passed"].is_boolean() && (*v)["passed"].get<bool>();
    const bool known = v->is_object() && v->contains("passed") && (*v)["passed"].is_boolean();
    out.push_back(instant(fmt::format("verdict {}: {}", known ? (passed ? "PASS" : "FAIL") : "?", string_field(*v, "expectation", "?")),
                          "verdict", ts, std::nullopt, args_of(*v)));
  }

  json other = scenario ? args_of(*scenario) : json::object();
  other["generator"] = "scalelab";
  if (skipped) other["skipped_events"] = skipped;
  return {{"traceEvents", std::move(out)}, {"displayTimeUnit", "ms"}, {"otherData", std::move(other)}};
}

std::vector<std::string> chrome_trace_problems(const json& trace) {
  std::vector<std::string> problems;
  if (!trace.is_object() || !trace.contains("traceEvents") || !trace["traceEvents"].is_array()) {
    problems.push_back("no traceEvents array");
    return problems;
  }
  double last = -1;
  std::size_t i = 0;
  for (const auto& e : trace["traceEvents"]) {
    auto where = [&](const std::string& what) { problems.push_back(fmt::format("event {}: {}", i, what)); };
    if (!e.is_object()) {
      where("not an object");
      ++i;
      continue;
    }
    if (!e.contains("ph") || !e["ph"].is_string()) where("no ph");
    if (!e.contains("name") || !e["name"].is_string()) where("no name");
    if (!e.contains("pid") || !e["pid"].is_number_integer()) where("no integer pid");
    if (!e.contains("tid") || !e["tid"].is_number_integer()) where("no integer tid");
    const std::string ph = string_field(e, "ph");
    auto ts = number_field(e, "ts");
    if (ph == "M" && !e.contains("ts")) {
      // metadata needs no time
    } else if (!ts || *ts < 0) {
      where("ts missing or negative");
    } else {
      if (*ts < last) where(fmt::format("ts {} before the previous event's {}", *ts, last));
      last = std::max(last, *ts);
    }
    if (ph == "X") {
      auto dur = number_field(e, "dur");
      if (!dur || *dur < 0) where("X event without dur >= 0");
    } else if (ph == "i" || ph == "I") {
      auto s = string_field(e, "s", "t");
      if (s != "g" && s != "p" && s != "t") where("instant scope not g/p/t");
    }
    ++i;
  }
  return problems;
}

}  // namespace scalelab::report
