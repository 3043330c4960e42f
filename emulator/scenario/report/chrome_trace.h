#pragma once
// A drill's events as a Chrome Trace Event Format file, for ui.perfetto.dev or
// chrome://tracing: one process (the cluster), one track per rank.
//
//   iteration    → complete event (ph "X") on the rank's track, from `start` to `t`,
//                  named after the collective; args carry busbw/algbw/bytes/iter
//   fault        → global instant (ph "i", s "g"), "fault: <action> <target>"
//   reroute      → global instant, "reroute: N routes changed"
//   agent_error  → instant on the rank's track (s "t"), "agent error: <cause>"
//   rank_exit    → instant on the rank's track, "rank exit: status N"
//   verdict      → global instant "verdict PASS|FAIL: <expectation>", placed after every
//                  other event
//   scenario     → global instant "scenario start"; its fields also go to "otherData"
//   other types  → instant on the rank's track if the event names a rank, else global
//
// Times are microseconds since the scenario started (ts ≥ 0, rounded to the nanosecond);
// traceEvents are sorted by ts, metadata (process and thread names; no ts, as Perfetto
// prefers) first. Each
// event's fields other than t/type are kept in args. Events without a numeric `t` are left
// out and counted in otherData.skipped_events.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab::report {

inline constexpr int kTracePid = 1;  // the one process: the cluster
// Rank r's track is tid r + 1 (older Perfetto UIs merge tid 0 into tid 1); global instants
// carry tid kTracePid.
inline int trace_tid(int rank) { return rank + 1; }

nlohmann::json chrome_trace(const std::vector<nlohmann::json>& events);

// What is wrong with a trace by the rules above (ph/name/pid/tid present, ts a number ≥ 0 on
// every event but metadata, X events with dur ≥ 0, instants with scope g/p/t, ts
// non-decreasing); empty when nothing.
std::vector<std::string> chrome_trace_problems(const nlohmann::json& trace);

}  // namespace scalelab::report
