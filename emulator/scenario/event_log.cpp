#include "emulator/scenario/event_log.h"

#include <algorithm>
#include <fstream>

namespace scalelab::scenario {

EventLog::EventLog() { start(); }

void EventLog::start() {
  std::lock_guard lock(mutex_);
  start_ = std::chrono::steady_clock::now();
  unix_start_ = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

double EventLog::now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }

void EventLog::add(nlohmann::json event) {
  if (!event.contains("t")) event["t"] = now();
  std::lock_guard lock(mutex_);
  events_.push_back(std::move(event));
}

std::vector<nlohmann::json> EventLog::snapshot() const {
  std::vector<nlohmann::json> copy;
  {
    std::lock_guard lock(mutex_);
    copy = events_;
  }
  std::stable_sort(copy.begin(), copy.end(), [](const auto& a, const auto& b) { return a["t"].template get<double>() < b["t"].template get<double>(); });
  return copy;
}

void EventLog::write_jsonl(const std::string& path) const {
  std::ofstream out(path);
  for (const auto& e : snapshot()) out << e.dump() << "\n";
}

}  // namespace scalelab::scenario
