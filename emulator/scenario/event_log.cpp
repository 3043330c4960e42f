#include "emulator/scenario/event_log.h"

#include <algorithm>
#include <fstream>
#include <optional>

namespace scalelab::scenario {

EventLog::EventLog() { start(); }

void EventLog::start() {
  std::lock_guard lock(mutex_);
  start_ = std::chrono::steady_clock::now();
  unix_start_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double EventLog::now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

namespace {

// The engine's iteration events (engine.cpp on_line) in compact form; anything else stays json,
// so an event of another shape is kept exactly as it came.
std::optional<EventLog::Iteration> compact(const nlohmann::json& e) {
  static const char* kNumbers[] = {"t", "start", "duration_ms", "busbw_GBps", "algbw_GBps", "rank", "iter", "bytes"};
  if (e.value("type", "") != "iteration" || e.size() != (e.contains("wrong") ? 10u : 9u)) return std::nullopt;
  for (const char* k : kNumbers)
    if (!e.contains(k) || !e[k].is_number()) return std::nullopt;
  for (const char* k : {"rank", "iter", "bytes"})
    if (!e[k].is_number_integer()) return std::nullopt;
  if (e.contains("wrong") && !(e["wrong"].is_number_integer() && e["wrong"].get<std::int64_t>() >= 0)) return std::nullopt;
  return EventLog::Iteration{e["t"].get<double>(), e["start"].get<double>(), e["duration_ms"].get<double>(),
                             e["busbw_GBps"].get<double>(), e["algbw_GBps"].get<double>(), e["rank"].get<std::int64_t>(),
                             e["iter"].get<std::int64_t>(), e["bytes"].get<std::int64_t>(), e.value("wrong", std::int64_t{-1})};
}

nlohmann::json expand(const EventLog::Iteration& i) {
  nlohmann::json e = {{"type", "iteration"}, {"rank", i.rank},         {"iter", i.iter},        {"t", i.t},
                      {"start", i.start},    {"duration_ms", i.duration_ms}, {"busbw_GBps", i.busbw}, {"algbw_GBps", i.algbw},
                      {"bytes", i.bytes}};
  if (i.wrong >= 0) e["wrong"] = i.wrong;
  return e;
}

}  // namespace

void EventLog::add(nlohmann::json event) {
  if (!event.contains("t")) event["t"] = now();
  auto small = compact(event);
  std::lock_guard lock(mutex_);
  if (small)
    iterations_.push_back(*small);
  else
    events_.push_back(std::move(event));
}

std::size_t EventLog::size() const {
  std::lock_guard lock(mutex_);
  return events_.size() + iterations_.size();
}

std::vector<nlohmann::json> EventLog::snapshot(bool iterations) const {
  std::vector<nlohmann::json> copy;
  {
    std::lock_guard lock(mutex_);
    copy.reserve(events_.size() + (iterations ? iterations_.size() : 0));
    copy.insert(copy.end(), events_.begin(), events_.end());
    if (iterations)
      for (const auto& i : iterations_) copy.push_back(expand(i));
  }
  std::stable_sort(copy.begin(), copy.end(), [](const auto& a, const auto& b) { return a["t"].template get<double>() < b["t"].template get<double>(); });
  return copy;
}

void EventLog::write_jsonl(const std::string& path) const {
  std::ofstream out(path);
  for (const auto& e : snapshot()) out << e.dump() << "\n";
}

}  // namespace scalelab::scenario
