#pragma once
// Event logs for the report tests, shaped like the scenario engine's events.jsonl.
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::report::testing {

// A 4-rank all_reduce drill: 20 iterations per rank, a link_down at 3 s (then a reroute and an
// agent error on rank 2), a degrade at 6 s, and two verdicts (one passes, one fails).
inline std::vector<nlohmann::json> sample_events() {
  using nlohmann::json;
  std::vector<json> events;
  events.push_back({{"t", 0.0}, {"type", "scenario"}, {"name", "rail-flap-during-allreduce"}, {"cluster", "tiny"},
                    {"world_size", 4}, {"collective", "all_reduce"}, {"bytes", 16777216}, {"transport", "tcp"},
                    {"dilation", 1000}});
  for (int i = 0; i < 20; ++i) {
    for (int r = 0; r < 4; ++r) {
      const double start = 0.30 + i * 0.45 + 0.004 * r;
      const double base = start < 3.0 ? 0.093 : start < 6.0 ? 0.055 : 0.041;
      const double busbw = base + 0.001 * ((r * 7 + i * 3) % 5);
      const double duration_ms = 180.0 * 0.093 / busbw;
      const double end = start + duration_ms / 1e3;
      events.push_back({{"t", end}, {"type", "iteration"}, {"rank", r}, {"iter", i}, {"start", start},
                        {"duration_ms", duration_ms}, {"busbw_GBps", busbw}, {"algbw_GBps", busbw / 1.5},
                        {"bytes", 16777216}});
    }
  }
  events.push_back({{"t", 3.002}, {"type", "fault"}, {"step", 0}, {"action", "link_down"}, {"target", "rail1:host1"},
                    {"scheduled", 3.0}, {"lateness_ms", 2.1}, {"detail", "gpu3-leaf1"}});
  events.push_back({{"t", 3.203}, {"type", "reroute"}, {"routes_changed", 4}});
  events.push_back({{"t", 3.4}, {"type", "agent_error"}, {"rank", 2}, {"peer", 3}, {"link", "nic0 198.19.0.3 -> 198.19.0.11"},
                    {"tier", "scale_out"}, {"transport", "tcp"}, {"cause", "timeout after 2000 ms"}});
  events.push_back({{"t", 6.0041}, {"type", "fault"}, {"step", 1}, {"action", "degrade"}, {"target", "rail0:host0"},
                    {"scheduled", 6.0}, {"lateness_ms", 4.1}, {"detail", "loss 1%, +200us"}});
  events.push_back({{"t", 9.6}, {"type", "verdict"}, {"expectation", "error_detected"}, {"passed", true},
                    {"measured", "all 4 ranks within 2.1 s"}, {"required", "all ranks within 3 s"}});
  events.push_back({{"t", 9.6}, {"type", "verdict"}, {"expectation", "busbw_recovers"}, {"passed", false},
                    {"measured", "busbw 0.044 GB/s = 47% of baseline"}, {"required", ">= 80% of baseline within 5 s"}});
  return events;
}

// The example log from the events.jsonl format description.
inline std::vector<nlohmann::json> format_example_events() {
  using nlohmann::json;
  return {
      json::parse(R"({"t":0.0,"type":"scenario","name":"rail-flap-during-allreduce","cluster":"tiny","world_size":4,"collective":"all_reduce","bytes":16777216,"transport":"tcp","dilation":1000})"),
      json::parse(R"({"t":1.23,"type":"iteration","rank":0,"iter":7,"start":1.05,"duration_ms":180.2,"busbw_GBps":0.093,"algbw_GBps":0.062,"bytes":16777216})"),
      json::parse(R"({"t":3.002,"type":"fault","step":0,"action":"link_down","target":"rail1:host1","scheduled":3.0,"lateness_ms":2.1,"detail":"gpu3-leaf1"})"),
      json::parse(R"({"t":3.203,"type":"reroute","routes_changed":4})"),
      json::parse(R"({"t":5.1,"type":"agent_error","rank":2,"peer":3,"link":"nic0 198.19.0.3 -> 198.19.0.11","tier":"scale_out","transport":"tcp","cause":"timeout after 2000 ms"})"),
      json::parse(R"({"t":5.2,"type":"rank_exit","rank":2,"status":3})"),
      json::parse(R"({"t":9.0,"type":"verdict","expectation":"error_detected","passed":true,"measured":"all 4 ranks within 2.1 s","required":"all ranks within 3 s"})"),
  };
}

// Sets (or with nullopt, unsets) an environment variable for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace scalelab::report::testing
