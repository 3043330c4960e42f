// Replaying a drill's fault events to say what was in force when a rank failed, and judging a
// command workload (torch, MPI: no SCALELAB_ERROR lines) by its ranks' own exits.
#include "emulator/scenario/faults_in_force.h"

#include <gtest/gtest.h>

#include "emulator/scenario/expectations.h"

using namespace scalelab::scenario;

namespace {
nlohmann::json fault(double t, const std::string& action, const std::string& detail, const std::string& target = "") {
  return {{"type", "fault"}, {"t", t}, {"action", action}, {"detail", detail}, {"target", target}};
}
}  // namespace

TEST(FaultsInForce, LinksAndNicsAreInForceUntilUndone) {
  std::vector<nlohmann::json> events = {fault(1, "link_down", "gpu0-leaf0 gpu2-leaf0"), fault(2, "nic_down", "gpu3:nic0"),
                                        fault(3, "link_up", "gpu0-leaf0"), fault(4, "degrade", "rate 1Gb/s emulated", "rail:1"),
                                        fault(5, "restore", "", "rail:1")};
  EXPECT_TRUE(faults_in_force(events, 0.5).empty());
  EXPECT_EQ(faults_in_force(events, 1.0), (std::vector<std::string>{"link_down gpu0-leaf0", "link_down gpu2-leaf0"}));
  EXPECT_EQ(faults_in_force(events, 2.5), (std::vector<std::string>{"link_down gpu0-leaf0", "link_down gpu2-leaf0", "nic_down gpu3:nic0"}));
  EXPECT_EQ(faults_in_force(events, 4.5), (std::vector<std::string>{"link_down gpu2-leaf0", "nic_down gpu3:nic0", "degrade rail:1"}));
  EXPECT_EQ(describe_faults(faults_in_force(events, 9)), "link_down gpu2-leaf0, nic_down gpu3:nic0");
  EXPECT_EQ(describe_faults({}), "no fault in force");
}

TEST(FaultsInForce, PartitionsUntilHealAndFailedFaultsNever) {
  auto failed = fault(1, "link_down", "gpu1-leaf1");
  failed["error"] = "netlink: no such device";
  std::vector<nlohmann::json> events = {failed, fault(2, "partition", "gpu0 | gpu1"), fault(3, "heal", "")};
  EXPECT_EQ(faults_in_force(events, 2.5), (std::vector<std::string>{"partition gpu0 | gpu1"}));
  EXPECT_TRUE(faults_in_force(events, 3).empty());
}

TEST(FaultsInForce, ACommandWorkloadsOwnExitsAreItsErrorsAndNameTheLink) {
  Scenario s;
  s.workload.command = {"python3", "allreduce_bench.py"};
  Step step;
  step.index = 0, step.at_s = 5, step.action = "link_down", step.target = "link:gpu0-leaf0";
  s.steps = {step};
  s.expectations = {{"error_detected", 6.0, 0, {"all"}, std::nullopt, std::nullopt, "/expect/0"}};
  RunFacts f;
  f.step_applied_at[0] = 5.0;
  f.world_size = 3;
  f.hang_deadline_s = 60;
  f.events.push_back(fault(5.0, "link_down", "gpu0-leaf0", "link:gpu0-leaf0"));
  for (int r = 0; r < 2; ++r) f.events.push_back({{"type", "rank_exit"}, {"rank", r}, {"t", 9.0 + r}, {"status", 1}, {"killed_by_scalelab", false}});
  // Ended by scalelab, not by its own failure: not an error report.
  f.events.push_back({{"type", "rank_exit"}, {"rank", 2}, {"t", 11.0}, {"status", 143}, {"killed_by_scalelab", true}});
  auto all = [](const std::string&) { return std::vector<int>{0, 1, 2}; };
  auto v = evaluate(s, f, all);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_FALSE(v[0].passed);
  EXPECT_EQ(v[0].measured, "missing: 2; late: none; while link_down gpu0-leaf0");

  f.events.back() = {{"type", "rank_exit"}, {"rank", 2}, {"t", 10.5}, {"status", 1}, {"killed_by_scalelab", false}};
  v = evaluate(s, f, all);
  EXPECT_TRUE(v[0].passed) << v[0].measured;
  EXPECT_EQ(v[0].measured, "all 3 within 5.50 s; while link_down gpu0-leaf0");

  s.workload.command.clear();  // the agents' loop: exit 1 is not how an agent reports a fault
  EXPECT_FALSE(evaluate(s, f, all)[0].passed);
}
