#include <gtest/gtest.h>

#include <filesystem>

#include "emulator/scenario/scenario.h"

using namespace scalelab::scenario;

namespace {

// A valid scenario with one field replaced, for the rejection tests.
std::string with(const std::string& steps, const std::string& expect = R"([{"no_hang": {}}])", const std::string& workload = "{}") {
  return R"({"name": "t", "topology": ")" + std::string(SCALELAB_SOURCE_DIR) + R"(/topologies/tiny.json",
             "workload": )" + workload + R"(, "steps": )" + steps + R"(, "expect": )" + expect + "}";
}

void expect_rejected(const std::string& text, const std::string& pointer, const std::string& words) {
  try {
    parse_scenario(text, "drill.json");
    FAIL() << "accepted: " << text;
  } catch (const ScenarioError& e) {
    std::string what = e.what();
    EXPECT_EQ(what.rfind("drill.json: " + pointer + ": ", 0), 0u) << what;
    EXPECT_NE(what.find(words), std::string::npos) << what;
  }
}

}  // namespace

TEST(ScenarioParser, ErrorsAreInputErrorsAndNameTheTopLevel) {
  try {
    parse_scenario("[", "drill.json");
    FAIL() << "broken JSON was accepted";
  } catch (const scalelab::model::InputError& e) {
    EXPECT_NE(dynamic_cast<const ScenarioError*>(&e), nullptr);
    EXPECT_EQ(e.source(), "drill.json");
    EXPECT_EQ(e.json_pointer(), "");
    EXPECT_EQ(std::string(e.what()), "drill.json: (top level): " + e.message());
  }
}

TEST(ScenarioParser, EveryShippedScenarioParses) {
  int n = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(std::string(SCALELAB_SOURCE_DIR) + "/scenarios")) {
    if (!f.is_regular_file() || f.path().extension() != ".json") continue;
    auto s = load_scenario(f.path().string());
    EXPECT_FALSE(s.expectations.empty()) << f.path();
    n++;
  }
  EXPECT_GE(n, 6);
}

TEST(ScenarioParser, ResolvesAtAfterAndRepeat) {
  auto s = parse_scenario(with(R"([{"at": "4s", "action": "link_down", "target": "rail1:host1"},
                                   {"after": "500ms", "action": "link_up", "target": "rail1:host1"},
                                   {"at": "5s", "action": "degrade", "target": "rail:0", "rate": "100Gb/s", "repeat": {"count": 3, "every": "1s"}}])"),
                          "drill.json");
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_DOUBLE_EQ(s.steps[0].at_s, 4.0);
  EXPECT_DOUBLE_EQ(s.steps[1].at_s, 4.5);
  EXPECT_DOUBLE_EQ(s.steps[4].at_s, 7.0);
  EXPECT_EQ(s.steps[4].index, 2);
  EXPECT_EQ(*s.steps[2].rate, "100Gb/s");
  EXPECT_NE(s.topology_path.find("tiny.json"), std::string::npos);
}

TEST(ScenarioParser, RejectsWithPointerAndReason) {
  expect_rejected(with(R"([{"at": "4s", "action": "explode", "target": "x"}])"), "/steps/0/action", "unknown action");
  expect_rejected(with(R"([{"at": "4", "action": "link_down", "target": "x"}])"), "/steps/0/at", "duration");
  expect_rejected(with(R"([{"at": "4s", "after": "1s", "action": "link_down", "target": "x"}])"), "/steps/0", "exactly one of");
  expect_rejected(with(R"([{"at": "4s", "action": "link_down"}])"), "/steps/0", "needs a \"target\"");
  expect_rejected(with(R"([{"at": "4s", "action": "degrade", "target": "rail:0"}])"), "/steps/0", "at least one of");
  expect_rejected(with(R"([{"at": "4s", "action": "degrade", "target": "rail:0", "rate": "100G"}])"), "/steps/0/rate", "bandwidth");
  expect_rejected(with(R"([{"at": "4s", "action": "flap", "target": "rail:0"}])"), "/steps/0", "period");
  expect_rejected(with(R"([{"at": "4s", "action": "straggler", "target": "rank:1", "cpu": "150%"}])"), "/steps/0/cpu", "");
  expect_rejected(with(R"([{"at": "4s", "action": "partition", "sides": [["host:0"]]}])"), "/steps/0/sides", "two arrays");
  expect_rejected(with(R"([{"at": "4s", "action": "link_down", "target": "x", "colour": "red"}])"), "/steps/0/colour", "unknown key");
  expect_rejected(with(R"([{"at": "99s", "action": "link_down", "target": "x"}])"), "/steps/0", "after the workload ends");
  expect_rejected(with(R"([{"at": "1s", "action": "link_down", "target": "x"}])"), "/steps/0", "baseline");
  expect_rejected(with("[]", R"([{"recovers": {"percent": 50, "within": "2s"}}])"), "/expect/0/recovers", "after_step");
  expect_rejected(with("[]", R"([{"sometimes": {}}])"), "/expect/0/sometimes", "unknown expectation");
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"collective": "all_scream"})"), "/workload/collective", "unknown collective");
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"size": "lots"})"), "/workload/size", "size in bytes");
  expect_rejected(R"({"name": "t", "topology": "nowhere.json", "expect": [{"no_hang": {}}]})", "/topology", "no topology file");
  expect_rejected("{ not json", "(top level)", "not valid JSON");
}

TEST(ScenarioParser, RejectsContradictorySteps) {
  expect_rejected(with(R"([{"at": "4s", "action": "link_down", "target": "rail:1"}, {"at": "4s", "action": "link_up", "target": "rail:1"}])"),
                  "/steps/1", "contradicts /steps/0");
}

TEST(ScenarioParser, AJobWorkloadResolvesItsFileAndWaitsLongerPerStep) {
  const std::string src = std::string(SCALELAB_SOURCE_DIR) + "/scenarios/drill.json";
  auto s = parse_scenario(with("[]", R"([{"no_hang": {}}])", R"({"job": "../jobs/tiny-3d.json", "duration": "8s"})"), src);
  EXPECT_EQ(s.workload.job, std::string(SCALELAB_SOURCE_DIR) + "/jobs/tiny-3d.json");
  EXPECT_DOUBLE_EQ(s.workload.timeout_s, 10.0);
  EXPECT_TRUE(s.workload.command.empty());
}

TEST(ScenarioParser, AJobWorkloadIsOneKindOfWorkloadAndMustExist) {
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"job": "x.json", "command": ["true"]})"), "/workload", "one of");
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"job": "nowhere/job.json"})"), "/workload/job", "no job file");
}

// The out_of_range fuzz/ found in the job and cluster parsers (a number beyond a double's range),
// here: a ScenarioError naming the file, not a bare json exception.
TEST(ScenarioParser, NumberTooLargeIsAScenarioError) {
  expect_rejected(R"({ "seed": 1e999 })", "(top level)", "not valid JSON");
}

// "check": the loop checks every iteration's output (the soak's #wrong); a command or job cannot.
TEST(ScenarioParser, ACollectiveLoopMayCheckEveryIteration) {
  EXPECT_FALSE(parse_scenario(with("[]"), "drill.json").workload.check);
  EXPECT_TRUE(parse_scenario(with("[]", R"([{"no_hang": {}}])", R"({"check": true})"), "drill.json").workload.check);
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"check": 1})"), "/workload/check", "true or false");
  expect_rejected(with("[]", R"([{"no_hang": {}}])", R"({"command": ["true"], "check": true})"), "/workload/check", "checks its own");
}
