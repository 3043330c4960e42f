#include "emulator/model/compact_expansion.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emulator/model/topology.h"

namespace scalelab::model {
namespace {

Topology parse(const std::string& text) { return parse_topology(text, "<inline>"); }

void expect_error(const std::string& text, const std::string& pointer, const std::string& needle) {
  try {
    parse_topology(text, "<inline>");
    ADD_FAILURE() << "expected a TopologyError for:\n" << text;
  } catch (const TopologyError& e) {
    EXPECT_EQ(e.json_pointer(), pointer) << e.what();
    EXPECT_NE(e.message().find(needle), std::string::npos)
        << "message: " << e.message() << "\nexpected to contain: " << needle;
  }
}

// A compact file with the given "cluster" body.
std::string cluster(const std::string& body) {
  return R"({"name": "c", "cluster": {)" + body + "}}";
}

std::vector<std::string> names(const Topology& t) {
  std::vector<std::string> out;
  for (const Node& n : t.nodes) out.push_back(n.name);
  return out;
}

std::vector<std::string> link_ends(const Topology& t) {
  std::vector<std::string> out;
  for (const Link& l : t.links) out.push_back(l.a + "-" + l.b);
  return out;
}

const std::string kTiny = cluster(R"(
  "hosts": 2, "gpus_per_host": 2,
  "scale_up": {"domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000},
  "scale_out": {"nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 2, "spines": 1,
                "mtu": 4200, "jitter": "100ns", "loss": "0.1%"})");

TEST(CompactExpansion, NodesInOrder) {
  const Topology t = parse(kTiny);
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "nvsw0", "nvsw1",
                                                "leaf0", "leaf1", "spine0"}));
  EXPECT_EQ(t.nodes[4].kind, NodeKind::switch_);
  EXPECT_EQ(t.nodes[6].kind, NodeKind::switch_);
  EXPECT_EQ(t.nodes[8].kind, NodeKind::router);
}

TEST(CompactExpansion, GpuHostRankDomain) {
  const Topology t = parse(kTiny);
  for (int i = 0; i < 4; ++i) {
    const Node& g = t.nodes[static_cast<std::size_t>(i)];
    EXPECT_EQ(g.kind, NodeKind::gpu);
    EXPECT_EQ(g.host, i / 2);
    EXPECT_EQ(g.local_rank, i % 2);
    EXPECT_EQ(g.domain, i / 2);
  }
  EXPECT_EQ(t.nodes[4].host, -1);
  EXPECT_EQ(t.nodes[4].domain, -1);
}

TEST(CompactExpansion, LinksAndTiers) {
  const Topology t = parse(kTiny);
  EXPECT_EQ(link_ends(t),
            (std::vector<std::string>{"gpu0-nvsw0", "gpu1-nvsw0", "gpu2-nvsw1", "gpu3-nvsw1",
                                      "gpu0-leaf0", "gpu1-leaf1", "gpu2-leaf0", "gpu3-leaf1",
                                      "leaf0-spine0", "leaf1-spine0"}));
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(t.links[i].tier, Tier::scale_up);
  for (std::size_t i = 4; i < t.links.size(); ++i) EXPECT_EQ(t.links[i].tier, Tier::scale_out);
}

TEST(CompactExpansion, LinkParams) {
  const Topology t = parse(kTiny);
  const LinkParams& up = t.links[0].params;
  EXPECT_EQ(up.bandwidth_bps, 7'200'000'000'000ULL);
  EXPECT_EQ(up.latency_ns, 1000u);
  EXPECT_EQ(up.mtu, 9000u);
  const LinkParams& nic = t.links[4].params;
  EXPECT_EQ(nic.bandwidth_bps, 400'000'000'000ULL);
  EXPECT_EQ(nic.latency_ns, 2000u);
  EXPECT_EQ(nic.jitter_ns, 100u);
  EXPECT_DOUBLE_EQ(nic.loss, 0.001);
  EXPECT_EQ(nic.mtu, 4200u);
  // Uplinks: same latency/jitter/loss/mtu; bandwidth = 2 gpus × 400G / (1 × 1).
  const LinkParams& uplink = t.links[8].params;
  EXPECT_EQ(uplink.bandwidth_bps, 800'000'000'000ULL);
  EXPECT_EQ(uplink.latency_ns, 2000u);
  EXPECT_EQ(uplink.jitter_ns, 100u);
  EXPECT_DOUBLE_EQ(uplink.loss, 0.001);
  EXPECT_EQ(uplink.mtu, 4200u);
}

TEST(CompactExpansion, JsonPointers) {
  const Topology t = parse(kTiny);
  EXPECT_EQ(t.nodes[0].json_pointer, "/cluster");
  EXPECT_EQ(t.nodes[4].json_pointer, "/cluster/scale_up");
  EXPECT_EQ(t.nodes[6].json_pointer, "/cluster/scale_out");
  EXPECT_EQ(t.nodes[8].json_pointer, "/cluster/scale_out");
  EXPECT_EQ(t.links[0].json_pointer, "/cluster/scale_up");
  EXPECT_EQ(t.links[4].json_pointer, "/cluster/scale_out");
  EXPECT_EQ(t.links[9].json_pointer, "/cluster/scale_out");
}

TEST(CompactExpansion, Defaults) {
  const Topology t = parse(cluster(R"("hosts": 2, "gpus_per_host": 4,
      "scale_up": {"bandwidth": "1Gb/s"}, "scale_out": {"nic_bandwidth": "1Gb/s"})"));
  // domain "host", rails = gpus_per_host, 1 spine (more than one leaf), latency/jitter 0us,
  // loss 0%, mtu 1500.
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "gpu4", "gpu5",
                                                "gpu6", "gpu7", "nvsw0", "nvsw1", "leaf0", "leaf1",
                                                "leaf2", "leaf3", "spine0"}));
  for (const Link& l : t.links) {
    EXPECT_EQ(l.params.latency_ns, 0u);
    EXPECT_EQ(l.params.jitter_ns, 0u);
    EXPECT_EQ(l.params.loss, 0.0);
    EXPECT_EQ(l.params.mtu, 1500u);
  }
  EXPECT_EQ(t.find("gpu5")->domain, 1);
}

TEST(CompactExpansion, DomainSize) {
  const Topology t = parse(cluster(R"("hosts": 4, "gpus_per_host": 2,
      "scale_up": {"domain": 4, "bandwidth": "1Gb/s"})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "gpu4", "gpu5",
                                                "gpu6", "gpu7", "nvsw0", "nvsw1"}));
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(t.nodes[i].domain, static_cast<int>(i / 4));
  EXPECT_EQ(t.links[5].b, "nvsw1");
}

TEST(CompactExpansion, DomainSizeMustDivideGpuCount) {
  expect_error(cluster(R"("hosts": 2, "gpus_per_host": 8,
      "scale_up": {"domain": 3, "bandwidth": "1Gb/s"})"),
               "/cluster/scale_up/domain", "a domain size must divide the number of GPUs: 16 GPUs");
}

TEST(CompactExpansion, DomainMustBeHostOrPositiveInteger) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 2,
      "scale_up": {"domain": "rack", "bandwidth": "1Gb/s"})"),
               "/cluster/scale_up/domain",
               "expected \"host\" or a domain size (an integer >= 1), got \"rack\"");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 2,
      "scale_up": {"domain": 0, "bandwidth": "1Gb/s"})"),
               "/cluster/scale_up/domain", "expected an integer within 1..4096, got 0");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 2,
      "scale_up": {"domain": 1.5, "bandwidth": "1Gb/s"})"),
               "/cluster/scale_up/domain", "expected \"host\" or a domain size");
}

TEST(CompactExpansion, WithoutScaleUpGpusHaveNoDomain) {
  const Topology t = parse(cluster(R"("hosts": 1, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "1Gb/s"})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "leaf0", "leaf1", "spine0"}));
  EXPECT_EQ(t.nodes[0].domain, -1);
  EXPECT_EQ(t.nodes[1].domain, -1);
}

TEST(CompactExpansion, WithoutScaleOut) {
  const Topology t = parse(cluster(R"("hosts": 2, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s"})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "nvsw0", "nvsw1"}));
}

TEST(CompactExpansion, NeedsAScaleTier) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1)"), "/cluster",
               "needs at least one of \"scale_up\" and \"scale_out\"");
}

TEST(CompactExpansion, HostsAndGpusPerHostRequiredAndPositive) {
  expect_error(cluster(R"("gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"})"),
               "/cluster/hosts", "missing required key \"hosts\"");
  expect_error(cluster(R"("hosts": 1, "scale_up": {"bandwidth": "1Gb/s"})"),
               "/cluster/gpus_per_host", "missing required key \"gpus_per_host\"");
  expect_error(cluster(R"("hosts": 0, "gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"})"),
               "/cluster/hosts", "expected an integer within 1..4096, got 0");
  expect_error(cluster(R"("hosts": "2", "gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"})"),
               "/cluster/hosts", "expected an integer within 1..4096, got \"2\" (a string)");
}

TEST(CompactExpansion, AtMost4096Gpus) {
  expect_error(cluster(R"("hosts": 513, "gpus_per_host": 8, "scale_up": {"bandwidth": "1Gb/s"})"),
               "/cluster", "513 × 8 = 4104 GPUs; at most 4096 are supported");
  EXPECT_EQ(parse(cluster(R"("hosts": 512, "gpus_per_host": 8,
      "scale_up": {"bandwidth": "1Gb/s"})")).gpu_count(),
            4096u);
}

TEST(CompactExpansion, ClusterMustBeAnObject) {
  expect_error(R"({"name": "c", "cluster": 3})", "/cluster", "expected an object, got 3");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1, "scale_up": "fast")"),
               "/cluster/scale_up", "expected an object");
}

TEST(CompactExpansion, BandwidthRequired) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1, "scale_up": {"latency": "1us"})"),
               "/cluster/scale_up/bandwidth", "missing required key \"bandwidth\"");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1, "scale_out": {"latency": "1us"})"),
               "/cluster/scale_out/nic_bandwidth", "missing required key \"nic_bandwidth\"");
}

TEST(CompactExpansion, UnitErrorsPointAtTheField) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_out": {"nic_bandwidth": "400G"})"),
               "/cluster/scale_out/nic_bandwidth",
               "expected a bandwidth like \"400Gb/s\" or \"900GB/s\", got \"400G\"");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s", "latency": "1 us"})"),
               "/cluster/scale_up/latency", "expected a duration like");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s", "loss": "101%"})"),
               "/cluster/scale_up/loss", "percentage must be within 0%..100%");
}

TEST(CompactExpansion, RailsAssignGpusByLocalRank) {
  const Topology t = parse(cluster(R"("hosts": 2, "gpus_per_host": 4,
      "scale_out": {"nic_bandwidth": "100Gb/s", "rails": 2})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "gpu4", "gpu5",
                                                "gpu6", "gpu7", "leaf0", "leaf1", "spine0"}));
  // local % 2: gpu0,2,4,6 → leaf0; gpu1,3,5,7 → leaf1.
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(t.links[i].b, i % 2 == 0 ? "leaf0" : "leaf1") << i;
  }
  EXPECT_EQ(t.links[8].params.bandwidth_bps, 400'000'000'000ULL);  // 4 gpus × 100G / 1
}

TEST(CompactExpansion, RailsAtMostGpusPerHost) {
  expect_error(cluster(R"("hosts": 2, "gpus_per_host": 4,
      "scale_out": {"nic_bandwidth": "100Gb/s", "rails": 5})"),
               "/cluster/scale_out/rails", "at most gpus_per_host (4) rails");
  expect_error(cluster(R"("hosts": 2, "gpus_per_host": 4,
      "scale_out": {"nic_bandwidth": "100Gb/s", "rails": 0})"),
               "/cluster/scale_out/rails", "expected an integer within 1..4096, got 0");
}

TEST(CompactExpansion, NotRailOptimizedIsOneLeafPerHost) {
  const Topology t = parse(cluster(R"("hosts": 3, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "100Gb/s", "rail_optimized": false, "rails": 99})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "gpu4", "gpu5",
                                                "leaf0", "leaf1", "leaf2", "spine0"}));
  EXPECT_EQ(link_ends(t), (std::vector<std::string>{
                              "gpu0-leaf0", "gpu1-leaf0", "gpu2-leaf1", "gpu3-leaf1",
                              "gpu4-leaf2", "gpu5-leaf2", "leaf0-spine0", "leaf1-spine0",
                              "leaf2-spine0"}));
  EXPECT_EQ(t.links[6].params.bandwidth_bps, 200'000'000'000ULL);
}

TEST(CompactExpansion, RailOptimizedMustBeABoolean) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_out": {"nic_bandwidth": "1Gb/s", "rail_optimized": "yes"})"),
               "/cluster/scale_out/rail_optimized", "expected true or false, got \"yes\"");
}

TEST(CompactExpansion, NoSpineForASingleLeaf) {
  const Topology t = parse(cluster(R"("hosts": 1, "gpus_per_host": 4,
      "scale_out": {"nic_bandwidth": "100Gb/s", "rail_optimized": false})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "leaf0"}));
}

TEST(CompactExpansion, ZeroSpinesAllowed) {
  const Topology t = parse(cluster(R"("hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "100Gb/s", "spines": 0})"));
  EXPECT_EQ(names(t), (std::vector<std::string>{"gpu0", "gpu1", "gpu2", "gpu3", "leaf0", "leaf1"}));
  expect_error(cluster(R"("hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "100Gb/s", "spines": -1})"),
               "/cluster/scale_out/spines", "expected an integer within 0..8192, got -1");
}

TEST(CompactExpansion, EveryLeafLinksToEverySpine) {
  const Topology t = parse(cluster(R"("hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "100Gb/s", "spines": 3})"));
  const std::vector<std::string> ends = link_ends(t);
  const std::vector<std::string> uplinks(ends.begin() + 4, ends.end());
  EXPECT_EQ(uplinks, (std::vector<std::string>{"leaf0-spine0", "leaf0-spine1", "leaf0-spine2",
                                               "leaf1-spine0", "leaf1-spine1", "leaf1-spine2"}));
  // ceil(2 × 100G / 3)
  EXPECT_EQ(t.links[4].params.bandwidth_bps, 66'666'666'667ULL);
}

TEST(CompactExpansion, Oversubscription) {
  const Topology integral = parse(cluster(R"("hosts": 4, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "400Gb/s", "spines": 2, "oversubscription": 2})"));
  EXPECT_EQ(integral.links.back().params.bandwidth_bps, 400'000'000'000ULL);  // 4×400G/(2×2)
  const Topology fractional = parse(cluster(R"("hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "400Gb/s", "spines": 2, "oversubscription": 1.5})"));
  // 2 × 400G / 3 = 266666666666.67 → ceil
  EXPECT_EQ(fractional.links.back().params.bandwidth_bps, 266'666'666'667ULL);
}

TEST(CompactExpansion, OversubscriptionAtLeastOne) {
  expect_error(cluster(R"("hosts": 2, "gpus_per_host": 2,
      "scale_out": {"nic_bandwidth": "400Gb/s", "oversubscription": 0.5})"),
               "/cluster/scale_out/oversubscription", "expected a number >= 1, got 0.5");
}

TEST(CompactExpansion, MtuRangePointsAtTheTier) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s", "mtu": 70000})"),
               "/cluster/scale_up/mtu", "mtu must be within 576..65000, got 70000");
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 1,
      "scale_out": {"nic_bandwidth": "1Gb/s", "mtu": 500})"),
               "/cluster/scale_out/mtu", "mtu must be within 576..65000, got 500");
}

TEST(CompactExpansion, NodeLimit) {
  // 4096 gpus + 4096 one-gpu domains + 1 leaf = 8193 nodes.
  expect_error(cluster(R"("hosts": 4096, "gpus_per_host": 1,
      "scale_up": {"domain": 1, "bandwidth": "1Gb/s"},
      "scale_out": {"nic_bandwidth": "1Gb/s"})"),
               "/cluster", "expands to 8193 nodes");
}

TEST(CompactExpansion, LinkLimit) {
  expect_error(cluster(R"("hosts": 1, "gpus_per_host": 2048,
      "scale_out": {"nic_bandwidth": "1Gb/s", "spines": 100})"),
               "/cluster", "expands to 206848 links; at most 65536");
}

TEST(CompactExpansion, CompactTopologyIsValidated) {
  expect_error(R"({"name": "Big", "cluster": {"hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s"}}})",
               "/name", "cluster name must match");
}

// The helpers shared with the parser.
TEST(JsonReaderHelpers, PointerAppendEscapes) {
  EXPECT_EQ(detail::pointer_append("/a", "b/c~d"), "/a/b~1c~0d");
  EXPECT_EQ(detail::pointer_append("/links", std::size_t{7}), "/links/7");
  EXPECT_EQ(detail::pointer_append("", "name"), "/name");
}

TEST(JsonReaderHelpers, DescribeValues) {
  EXPECT_EQ(detail::describe(nlohmann::json("400G")), "\"400G\" (a string)");
  EXPECT_EQ(detail::describe(nlohmann::json(3)), "3 (an integer)");
  EXPECT_EQ(detail::describe(nlohmann::json(0.5)), "0.5 (a number)");
  EXPECT_EQ(detail::describe(nlohmann::json::object()), "{} (an object)");
  EXPECT_EQ(detail::describe(nlohmann::json(nullptr)), "null (null)");
}

}  // namespace
}  // namespace scalelab::model
