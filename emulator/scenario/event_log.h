#pragma once
// Everything that happened during a drill, stamped with seconds since the workload started:
// faults applied, agent iterations and errors, rank exits, reroutes. Thread-safe; written out
// as events.jsonl and read by the expectations and the reports.
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab::scenario {

class EventLog {
 public:
  EventLog();
  double now() const;  // seconds since start()
  void start();        // t = 0 from here
  double unix_start() const { return unix_start_; }
  // Converts a CLOCK_REALTIME timestamp (as agents report them) to scenario seconds.
  double from_unix(double unix_seconds) const { return unix_seconds - unix_start_; }

  void add(nlohmann::json event);  // stamps "t" with now() unless it has one
  // Sorted by t; without the collectives' iterations when `iterations` is false (cheap: what a
  // rank's exit needs to name the faults in force).
  std::vector<nlohmann::json> snapshot(bool iterations = true) const;
  void write_jsonl(const std::string& path) const;
  std::size_t size() const;

  // An iteration event kept as 72 bytes instead of a json object of ~900: a soak records
  // tens of thousands of them, and the orchestrator's memory must stay flat (issue 15 point 4).
  struct Iteration {
    double t, start, duration_ms, busbw, algbw;
    std::int64_t rank, iter, bytes, wrong;  // wrong -1: the event had none
  };

 private:
  mutable std::mutex mutex_;
  std::vector<nlohmann::json> events_;  // everything but iterations of the usual shape
  std::vector<Iteration> iterations_;
  std::chrono::steady_clock::time_point start_;
  double unix_start_ = 0;
};

}  // namespace scalelab::scenario
