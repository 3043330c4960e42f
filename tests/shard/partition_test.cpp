// The cut across machines: domains whole, loads balanced, fewer cross links than a naive
// placement, the same cut every time, and clear refusals.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/shard/partition.h"
#include "emulator/shard/partition_report.h"

using namespace scalelab;

namespace {

plan::Plan shipped(const std::string& file) {
  return plan::build_plan(model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/" + file));
}

std::size_t cut_of(const plan::Plan& plan, const std::vector<int>& machine_of) {
  std::size_t cut = 0;
  for (const auto& v : plan.veths) cut += machine_of[v.a_ns] != machine_of[v.b_ns];
  return cut;
}

void expect_domains_whole(const plan::Plan& plan, const shard::Partition& p) {
  std::map<int, std::set<int>> machines_of_host;
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
    if (plan.namespaces[i].kind == plan::NodeKind::gpu) machines_of_host[plan.namespaces[i].host].insert(p.machine_of[i]);
  for (const auto& [host, machines] : machines_of_host) EXPECT_EQ(machines.size(), 1u) << "host " << host << " split";
  for (const auto& v : plan.veths)
    if (plan.namespaces[v.a_ns].interfaces[v.a_if].tier == plan::Tier::scale_up)
      EXPECT_EQ(p.machine_of[v.a_ns], p.machine_of[v.b_ns]) << "a scale-up link crosses machines: " << plan.namespaces[v.a_ns].node;
}

}  // namespace

TEST(Partition, H100x2KeepsEachHostWithItsNvswitchAndBalancesTheRest) {
  auto plan = shipped("topologies/h100x2.json");
  auto p = shard::partition(plan, {"m1", "m2"});
  ASSERT_EQ(p.machines.size(), 2u);
  EXPECT_EQ(p.domains, 2u);
  expect_domains_whole(plan, p);
  EXPECT_EQ(p.machines[0].gpus, 8u);
  EXPECT_EQ(p.machines[1].gpus, 8u);
  const auto a = p.machines[0].namespaces, b = p.machines[1].namespaces;
  EXPECT_EQ(a + b, plan.namespaces.size());
  EXPECT_LE(a > b ? a - b : b - a, 4u) << a << " vs " << b;
  EXPECT_EQ(p.cross.size(), cut_of(plan, p.machine_of));
  EXPECT_EQ(p.machines[0].cross_links, p.cross.size());
  EXPECT_EQ(p.machines[0].local_links + p.machines[1].local_links + p.cross.size(), plan.veths.size());
  EXPECT_GT(p.machines[0].cross_egress_bps, 0u);
  EXPECT_LE(p.machines[0].cross_egress_bps, p.machines[0].shaped_egress_bps);
}

// The same domains (GPUs and NVSwitches), the scale-out fabric dealt round-robin.
std::vector<int> dealt_in_turn(const plan::Plan& plan, std::vector<int> machine_of, int machines) {
  std::vector<bool> scale_up(plan.namespaces.size(), false);
  for (const auto& v : plan.veths)
    if (plan.namespaces[v.a_ns].interfaces[v.a_if].tier == plan::Tier::scale_up) scale_up[v.a_ns] = scale_up[v.b_ns] = true;
  int next = 0;
  for (std::size_t i = 0; i < plan.namespaces.size(); ++i)
    if (plan.namespaces[i].kind != plan::NodeKind::gpu && !scale_up[i]) machine_of[i] = next++ % machines;
  return machine_of;
}

TEST(Partition, KeepsAHostsLeafWithItsHost) {
  auto plan = shipped("topologies/host-leaf.json");
  auto p = shard::partition(plan, shard::machine_names("2"));
  expect_domains_whole(plan, p);
  EXPECT_LT(p.cross.size(), cut_of(plan, dealt_in_turn(plan, p.machine_of, 2)));
  EXPECT_LE(p.cross.size(), 4u) << "only the leaf-spine links of the far leaves need to cross";
}

TEST(Partition, Rail128OnFourMachinesIsBalancedAndNoWorseThanDealingInTurn) {
  auto plan = shipped("topologies/rail128.json");
  auto p = shard::partition(plan, shard::machine_names("4"));
  expect_domains_whole(plan, p);
  EXPECT_LE(p.cross.size(), cut_of(plan, dealt_in_turn(plan, p.machine_of, 4)));
  std::size_t most = 0, least = plan.namespaces.size();
  for (const auto& m : p.machines) most = std::max(most, m.namespaces), least = std::min(least, m.namespaces);
  const auto fair = (plan.namespaces.size() + 3) / 4;
  EXPECT_LE(most, fair + std::max<std::size_t>(1, fair / 10)) << "a machine above the cap";
  EXPECT_GT(least, 0u);
}

TEST(Partition, OneMachineCutsNothingAndTheCutIsDeterministic) {
  auto plan = shipped("topologies/tiny.json");
  auto one = shard::partition(plan, {"solo"});
  EXPECT_TRUE(one.cross.empty());
  EXPECT_EQ(one.machines[0].local_links, plan.veths.size());
  auto first = shard::partition(plan, {"a", "b"});
  auto again = shard::partition(plan, {"a", "b"});
  EXPECT_EQ(first.machine_of, again.machine_of);
  expect_domains_whole(plan, first);
}

TEST(Partition, RefusesMoreMachinesThanDomainsAndRepeatedNames) {
  auto plan = shipped("topologies/tiny.json");
  try {
    shard::partition(plan, {"a", "b", "c"});
    FAIL() << "three machines for two domains";
  } catch (const shard::PartitionError& e) {
    EXPECT_NE(std::string(e.what()).find("at most 2 machine"), std::string::npos) << e.what();
  }
  EXPECT_THROW(shard::partition(plan, {"a", "a"}), shard::PartitionError);
  EXPECT_THROW(shard::partition(plan, {}), shard::PartitionError);
}

TEST(MachineNames, ACountOrAList) {
  EXPECT_EQ(shard::machine_names("3"), (std::vector<std::string>{"m1", "m2", "m3"}));
  EXPECT_EQ(shard::machine_names("root@m1,m2"), (std::vector<std::string>{"root@m1", "m2"}));
  EXPECT_THROW(shard::machine_names("a,,b"), shard::PartitionError);
  EXPECT_THROW(shard::machine_names("0"), shard::PartitionError);
  EXPECT_THROW(shard::machine_names("99999999999999999999"), shard::PartitionError);
}

TEST(PartitionReport, TextAndJsonAgreeWithTheCut) {
  auto plan = shipped("topologies/h100x2.json");
  auto p = shard::partition(plan, {"m1", "m2"});
  auto text = shard::partition_to_text(plan, p, true);
  EXPECT_NE(text.find(std::to_string(p.cross.size()) + " of " + std::to_string(plan.veths.size()) + " links cross machines"), std::string::npos) << text;
  EXPECT_NE(text.find("gpu0         → m1"), std::string::npos) << text;
  auto json = shard::partition_to_json(plan, p);
  EXPECT_EQ(json["cross_links"], p.cross.size());
  EXPECT_EQ(json["machines"][1]["gpus"], 8);
  EXPECT_EQ(json["cross"].size(), p.cross.size());
  EXPECT_EQ(json["machines"][0]["nodes"].size() + json["machines"][1]["nodes"].size(), plan.namespaces.size());
}
