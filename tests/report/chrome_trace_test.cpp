#include "emulator/scenario/report/chrome_trace.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "emulator/scenario/report/event_fields.h"
#include "tests/report/sample_events.h"

namespace scalelab::report {
namespace {

using nlohmann::json;

std::vector<json> with_ph(const json& trace, const std::string& ph) {
  std::vector<json> out;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == ph) out.push_back(e);
  }
  return out;
}

TEST(ChromeTrace, TopLevelShape) {
  auto trace = chrome_trace(testing::sample_events());
  ASSERT_TRUE(trace["traceEvents"].is_array());
  EXPECT_EQ(trace["displayTimeUnit"], "ms");
  EXPECT_EQ(trace["otherData"]["name"], "rail-flap-during-allreduce");
  EXPECT_TRUE(chrome_trace_problems(trace).empty()) << ::testing::PrintToString(chrome_trace_problems(trace));
  // It survives a round trip through text, as a viewer reads it.
  EXPECT_EQ(json::parse(trace.dump()), trace);
}

TEST(ChromeTrace, EveryIterationIsOneCompleteEventOnItsRanksTrack) {
  const auto events = testing::sample_events();
  auto trace = chrome_trace(events);
  auto xs = with_ph(trace, "X");
  ASSERT_EQ(xs.size(), 80u);
  std::map<std::pair<int, long long>, json> by_rank_iter;
  for (const auto& x : xs) {
    EXPECT_EQ(x["name"], "all_reduce");
    EXPECT_EQ(x["pid"], kTracePid);
    auto key = std::make_pair(x["tid"].get<int>(), x["args"]["iter"].get<long long>());
    EXPECT_TRUE(by_rank_iter.emplace(key, x).second) << "duplicate X for rank/iter " << key.first << "/" << key.second;
  }
  for (const auto& e : events) {
    if (event_type(e) != "iteration") continue;
    const int rank = e["rank"];
    auto it = by_rank_iter.find({trace_tid(rank), e["iter"].get<long long>()});
    ASSERT_NE(it, by_rank_iter.end());
    const json& x = it->second;
    const double start = e["start"], t = e["t"];
    EXPECT_NEAR(x["ts"].get<double>(), start * 1e6, 1e-3);
    EXPECT_NEAR(x["dur"].get<double>(), (t - start) * 1e6, 2e-3);
    EXPECT_DOUBLE_EQ(x["args"]["busbw_GBps"].get<double>(), e["busbw_GBps"].get<double>());
  }
}

TEST(ChromeTrace, FormatExampleInMicroseconds) {
  auto trace = chrome_trace(testing::format_example_events());
  auto xs = with_ph(trace, "X");
  ASSERT_EQ(xs.size(), 1u);
  EXPECT_EQ(xs[0]["ts"].get<double>(), 1050000.0);
  EXPECT_EQ(xs[0]["dur"].get<double>(), 180000.0);
  EXPECT_EQ(xs[0]["tid"], trace_tid(0));
  EXPECT_EQ(xs[0]["args"]["busbw_GBps"], 0.093);
  EXPECT_TRUE(chrome_trace_problems(trace).empty());
}

TEST(ChromeTrace, ProcessAndRankTracksAreNamed) {
  auto trace = chrome_trace(testing::sample_events());
  std::map<int, std::string> thread_names;
  std::string process_name;
  for (const auto& m : with_ph(trace, "M")) {
    if (m["name"] == "thread_name") thread_names[m["tid"]] = m["args"]["name"];
    if (m["name"] == "process_name") process_name = m["args"]["name"];
  }
  EXPECT_EQ(process_name, "cluster tiny");
  ASSERT_EQ(thread_names.size(), 4u);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(thread_names[trace_tid(r)], "rank " + std::to_string(r));
  // Metadata comes first and has no time; no track is tid 0 (older Perfetto UIs merge it into 1).
  const auto& all = trace["traceEvents"];
  EXPECT_EQ(all[0]["ph"], "M");
  for (const auto& e : all) {
    EXPECT_NE(e["tid"], 0) << e.dump();
    if (e["ph"] == "M") {
      EXPECT_FALSE(e.contains("ts")) << e.dump();
    }
  }
}

TEST(ChromeTrace, FaultsAndReroutesAreGlobalInstants) {
  auto trace = chrome_trace(testing::sample_events());
  std::vector<json> faults, reroutes;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") == "fault") faults.push_back(e);
    if (e.value("cat", "") == "network") reroutes.push_back(e);
  }
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_EQ(faults[0]["ph"], "i");
  EXPECT_EQ(faults[0]["s"], "g");
  EXPECT_EQ(faults[0]["name"], "fault: link_down rail1:host1");
  EXPECT_NEAR(faults[0]["ts"].get<double>(), 3002000.0, 1e-6);
  EXPECT_EQ(faults[0]["args"]["lateness_ms"], 2.1);
  EXPECT_EQ(faults[1]["name"], "fault: degrade rail0:host0");
  ASSERT_EQ(reroutes.size(), 1u);
  EXPECT_EQ(reroutes[0]["s"], "g");
  EXPECT_EQ(reroutes[0]["name"], "reroute: 4 routes changed");
}

TEST(ChromeTrace, AgentErrorsAndExitsSitOnTheirRank) {
  auto trace = chrome_trace(testing::format_example_events());
  int seen = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") != "error") continue;
    ++seen;
    EXPECT_EQ(e["ph"], "i");
    EXPECT_EQ(e["s"], "t");
    EXPECT_EQ(e["tid"], trace_tid(2));
  }
  EXPECT_EQ(seen, 2);
}

TEST(ChromeTrace, VerdictsComeLast) {
  auto trace = chrome_trace(testing::sample_events());
  const auto& all = trace["traceEvents"];
  ASSERT_GE(all.size(), 2u);
  double latest_end = 0;
  for (std::size_t i = 0; i + 2 < all.size(); ++i) {
    latest_end = std::max(latest_end, all[i].value("ts", 0.0) + all[i].value("dur", 0.0));
  }
  for (std::size_t i = all.size() - 2; i < all.size(); ++i) {
    EXPECT_EQ(all[i]["cat"], "verdict");
    EXPECT_EQ(all[i]["s"], "g");
    EXPECT_GE(all[i]["ts"].get<double>(), latest_end);
  }
  EXPECT_EQ(all[all.size() - 2]["name"], "verdict PASS: error_detected");
  EXPECT_EQ(all[all.size() - 1]["name"], "verdict FAIL: busbw_recovers");
}

TEST(ChromeTrace, SortedEvenWhenTheLogIsNot) {
  auto events = testing::sample_events();
  std::reverse(events.begin(), events.end());
  auto trace = chrome_trace(events);
  EXPECT_TRUE(chrome_trace_problems(trace).empty()) << ::testing::PrintToString(chrome_trace_problems(trace));
  EXPECT_EQ(with_ph(trace, "X").size(), 80u);
}

TEST(ChromeTrace, ToleratesOddEvents) {
  std::vector<json> events = {
      json::parse(R"({"type":"fault","action":"link_down"})"),                               // no t: skipped
      json::parse(R"({"t":0.5,"type":"iteration","rank":1,"start":-0.2,"busbw_GBps":1})"),   // starts before 0
      json::parse(R"({"t":0.7,"type":"iteration","rank":0,"duration_ms":100})"),             // no start
      json::parse(R"({"t":0.8,"type":"link_flap","rank":3})"),                               // unknown, on a rank
      json::parse(R"({"t":0.9,"type":"checkpoint"})"),                                       // unknown, global
      json::parse(R"({"t":1.0,"type":"iteration","rank":"x"})"),                             // bad rank
      json::parse(R"([1,2,3])"),
  };
  auto trace = chrome_trace(events);
  EXPECT_TRUE(chrome_trace_problems(trace).empty()) << ::testing::PrintToString(chrome_trace_problems(trace));
  EXPECT_EQ(trace["otherData"]["skipped_events"], 2);
  auto xs = with_ph(trace, "X");
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_EQ(xs[0]["ts"].get<double>(), 0.0);
  EXPECT_EQ(xs[0]["dur"].get<double>(), 500000.0);
  EXPECT_NEAR(xs[1]["ts"].get<double>(), 600000.0, 1e-6);
  EXPECT_EQ(xs[1]["name"], "iteration");  // no scenario event: no collective name
  int unknown = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("cat", "") != "other") continue;
    ++unknown;
    EXPECT_EQ(e["s"], e["name"] == "link_flap" ? "t" : "g");
  }
  EXPECT_EQ(unknown, 3);  // link_flap, checkpoint, and the iteration with no usable rank
}

TEST(ChromeTraceProblems, CatchesBrokenTraces) {
  EXPECT_FALSE(chrome_trace_problems(json::object()).empty());
  json trace = {{"traceEvents", json::array({
                                    {{"name", "a"}, {"ph", "i"}, {"s", "g"}, {"ts", 5.0}, {"pid", 1}, {"tid", 0}},
                                    {{"name", "b"}, {"ph", "X"}, {"ts", 4.0}, {"pid", 1}, {"tid", 0}},
                                    {{"name", "c"}, {"ph", "i"}, {"ts", -1.0}, {"pid", 1}, {"tid", 0}},
                                })}};
  auto problems = chrome_trace_problems(trace);
  EXPECT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);  // unsorted, no dur, negative ts
}

}  // namespace
}  // namespace scalelab::report
