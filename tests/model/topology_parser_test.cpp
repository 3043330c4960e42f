#include "emulator/model/topology.h"
#include "emulator/model/topology_json.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace scalelab::model {
namespace {

TopologyError error_of(const std::string& text) {
  try {
    parse_topology(text, "<inline>");
  } catch (const TopologyError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a TopologyError for:\n" << text;
  return TopologyError("", "", "");
}

// Parsing `text` fails at `pointer` with a message containing `needle`.
void expect_error(const std::string& text, const std::string& pointer, const std::string& needle) {
  const TopologyError e = error_of(text);
  EXPECT_EQ(e.json_pointer(), pointer) << e.what();
  EXPECT_NE(e.message().find(needle), std::string::npos)
      << "message: " << e.message() << "\nexpected to contain: " << needle;
  EXPECT_EQ(e.source(), "<inline>");
}

const char* const kCompact = R"({
  "name": "c", "cluster": { "hosts": 1, "gpus_per_host": 2,
    "scale_up": { "bandwidth": "900GB/s" } } })";

const char* const kExplicit = R"({
  "name": "lab", "dilation": 10,
  "nodes": [ {"name": "sw0", "kind": "switch"}, {"name": "gpu0", "kind": "gpu"},
             {"name": "r0", "kind": "router"}, {"name": "gpu1", "kind": "gpu"} ],
  "links": [
    {"a": "gpu0", "b": "sw0", "tier": "scale_up", "bandwidth": "900GB/s", "latency": "1us",
     "jitter": "100ns", "loss": "0.5%", "mtu": 9000},
    {"a": "gpu1", "b": "sw0", "tier": "scale_up", "bandwidth": "900GB/s"},
    {"a": "sw0", "b": "r0", "tier": "scale_out", "bandwidth": "400Gb/s"} ] })";

TEST(Topology, ToStringNames) {
  EXPECT_STREQ(to_string(NodeKind::gpu), "gpu");
  EXPECT_STREQ(to_string(NodeKind::switch_), "switch");
  EXPECT_STREQ(to_string(NodeKind::router), "router");
  EXPECT_STREQ(to_string(Tier::scale_up), "scale_up");
  EXPECT_STREQ(to_string(Tier::scale_out), "scale_out");
}

TEST(Topology, ErrorWhatIsSourcePointerMessage) {
  const TopologyError e("a.json", "/links/3/mtu", "mtu must be within 576..65000, got 70000");
  EXPECT_STREQ(e.what(), "a.json: /links/3/mtu: mtu must be within 576..65000, got 70000");
  EXPECT_EQ(e.source(), "a.json");
  EXPECT_EQ(e.json_pointer(), "/links/3/mtu");
  EXPECT_EQ(e.message(), "mtu must be within 576..65000, got 70000");
}

TEST(Topology, FindAndGpuCount) {
  const Topology t = parse_topology(kExplicit, "<inline>");
  EXPECT_EQ(t.gpu_count(), 2u);
  ASSERT_NE(t.find("r0"), nullptr);
  EXPECT_EQ(t.find("r0")->kind, NodeKind::router);
  EXPECT_EQ(t.find("nope"), nullptr);
}

TEST(Parser, CompactFormParses) {
  const Topology t = parse_topology(kCompact, "<inline>");
  EXPECT_EQ(t.name, "c");
  EXPECT_EQ(t.source, "<inline>");
  EXPECT_FALSE(t.dilation_auto);
  EXPECT_EQ(t.dilation, 1.0);
  EXPECT_EQ(t.gpu_count(), 2u);
}

TEST(Parser, ExplicitFormParsesWithGpusFirst) {
  const Topology t = parse_topology(kExplicit, "x.json");
  EXPECT_EQ(t.dilation, 10.0);
  std::vector<std::string> names;
  for (const Node& n : t.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"gpu0", "gpu1", "sw0", "r0"}));
  EXPECT_EQ(t.nodes[0].json_pointer, "/nodes/1");
  EXPECT_EQ(t.nodes[2].json_pointer, "/nodes/0");
  // Without "host" every gpu is its own host, numbered by gpu order.
  EXPECT_EQ(t.nodes[0].host, 0);
  EXPECT_EQ(t.nodes[1].host, 1);
  EXPECT_EQ(t.nodes[0].local_rank, 0);
  EXPECT_EQ(t.nodes[1].local_rank, 0);
  EXPECT_EQ(t.nodes[2].host, -1);
  ASSERT_EQ(t.links.size(), 3u);
  const Link& l = t.links[0];
  EXPECT_EQ(l.json_pointer, "/links/0");
  EXPECT_EQ(l.tier, Tier::scale_up);
  EXPECT_EQ(l.params.bandwidth_bps, 7'200'000'000'000ULL);
  EXPECT_EQ(l.params.latency_ns, 1000u);
  EXPECT_EQ(l.params.jitter_ns, 100u);
  EXPECT_DOUBLE_EQ(l.params.loss, 0.005);
  EXPECT_EQ(l.params.mtu, 9000u);
  // Defaults.
  EXPECT_EQ(t.links[1].params.latency_ns, 0u);
  EXPECT_EQ(t.links[1].params.jitter_ns, 0u);
  EXPECT_EQ(t.links[1].params.loss, 0.0);
  EXPECT_EQ(t.links[1].params.mtu, 1500u);
}

TEST(Parser, ExplicitHostsAndLocalRanks) {
  const Topology t = parse_topology(R"({"name": "h",
    "nodes": [ {"name": "a", "kind": "gpu", "host": 1}, {"name": "b", "kind": "gpu", "host": 0},
               {"name": "c", "kind": "gpu", "host": 1}, {"name": "s", "kind": "switch"} ],
    "links": [ {"a": "a", "b": "s", "tier": "scale_out", "bandwidth": "1Gb/s"},
               {"a": "b", "b": "s", "tier": "scale_out", "bandwidth": "1Gb/s"},
               {"a": "c", "b": "s", "tier": "scale_out", "bandwidth": "1Gb/s"} ] })",
                                    "<inline>");
  EXPECT_EQ(t.find("a")->host, 1);
  EXPECT_EQ(t.find("a")->local_rank, 0);
  EXPECT_EQ(t.find("b")->local_rank, 0);
  EXPECT_EQ(t.find("c")->local_rank, 1);
}

TEST(Parser, ExplicitDomainsAreScaleUpComponents) {
  // g0 reaches g2 through s1–s2 (a scale_up switch–switch link); g1 has no scale_up link;
  // g3 and g4 share s0. Ids follow each component's lowest gpu: {g0,g2} = 0, {g3,g4} = 1.
  const Topology t = parse_topology(R"({"name": "d",
    "nodes": [ {"name": "g0", "kind": "gpu"}, {"name": "g1", "kind": "gpu"},
               {"name": "g2", "kind": "gpu"}, {"name": "g3", "kind": "gpu"},
               {"name": "g4", "kind": "gpu"}, {"name": "s0", "kind": "switch"},
               {"name": "s1", "kind": "switch"}, {"name": "s2", "kind": "switch"},
               {"name": "out", "kind": "router"} ],
    "links": [ {"a": "g3", "b": "s0", "tier": "scale_up", "bandwidth": "1Gb/s"},
               {"a": "g4", "b": "s0", "tier": "scale_up", "bandwidth": "1Gb/s"},
               {"a": "g0", "b": "s1", "tier": "scale_up", "bandwidth": "1Gb/s"},
               {"a": "s1", "b": "s2", "tier": "scale_up", "bandwidth": "1Gb/s"},
               {"a": "s2", "b": "g2", "tier": "scale_up", "bandwidth": "1Gb/s"},
               {"a": "g1", "b": "out", "tier": "scale_out", "bandwidth": "1Gb/s"},
               {"a": "g0", "b": "out", "tier": "scale_out", "bandwidth": "1Gb/s"},
               {"a": "g3", "b": "out", "tier": "scale_out", "bandwidth": "1Gb/s"} ] })",
                                    "<inline>");
  EXPECT_EQ(t.find("g0")->domain, 0);
  EXPECT_EQ(t.find("g1")->domain, -1);
  EXPECT_EQ(t.find("g2")->domain, 0);
  EXPECT_EQ(t.find("g3")->domain, 1);
  EXPECT_EQ(t.find("g4")->domain, 1);
  EXPECT_EQ(t.find("s0")->domain, -1);
}

TEST(Parser, AcceptsComments) {
  const Topology t = parse_topology(R"(
    // a line comment
    { /* a block
         comment */ "name": "c", // trailing
      "cluster": { "hosts": 1, "gpus_per_host": 1, "scale_up": { "bandwidth": "1Gb/s" } } })",
                                    "<inline>");
  EXPECT_EQ(t.name, "c");
}

TEST(Parser, SyntaxErrorHasLineAndColumn) {
  const TopologyError e = error_of("{\n  \"name\": \"c\",\n  \"cluster\": { \"hosts\": 1,, }\n}");
  EXPECT_EQ(e.json_pointer(), "");
  EXPECT_NE(e.message().find("invalid JSON"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("line 3"), std::string::npos) << e.message();
  EXPECT_NE(e.message().find("column"), std::string::npos) << e.message();
  EXPECT_EQ(e.message().find("[json.exception"), std::string::npos) << e.message();
  EXPECT_EQ(std::string(e.what()).rfind("<inline>: : invalid JSON", 0), 0u) << e.what();
}

TEST(Parser, EmptyInputIsAnError) { expect_error("", "", "invalid JSON"); }

TEST(Parser, TopLevelMustBeAnObject) {
  expect_error("[1, 2]", "", "expected an object, got [...] (an array)");
}

TEST(Parser, DuplicateJsonKeysAreRejected) {
  expect_error(R"({"name": "c", "cluster": {"hosts": 1, "hosts": 2, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s"}}})",
               "/cluster/hosts", "duplicate key \"hosts\"");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "x", "tier": "scale_up", "bandwidth": "1Gb/s"},
                {"a": "g", "a": "x", "tier": "scale_up", "bandwidth": "1Gb/s"}]})",
               "/links/1/a", "duplicate key \"a\"");
}

TEST(Parser, UnknownTopLevelKey) {
  expect_error(R"({"name": "c", "dilaton": 2, "cluster": {}})", "/dilaton",
               "unknown key \"dilaton\"; allowed keys are name, dilation, ecmp_seed, cluster, nodes, links");
}

TEST(Parser, UnknownKeyInCluster) {
  expect_error(R"({"name": "c", "cluster": {"hosts": 1, "gpus_per_host": 1, "gpus": 2}})",
               "/cluster/gpus",
               "unknown key \"gpus\"; allowed keys are hosts, gpus_per_host, scale_up, scale_out");
}

TEST(Parser, UnknownKeyInScaleUp) {
  expect_error(R"({"name": "c", "cluster": {"hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s", "bw": "1Gb/s"}}})",
               "/cluster/scale_up/bw",
               "unknown key \"bw\"; allowed keys are domain, bandwidth, latency, mtu, jitter, loss");
}

TEST(Parser, UnknownKeyInScaleOut) {
  expect_error(R"({"name": "c", "cluster": {"hosts": 1, "gpus_per_host": 1,
      "scale_out": {"nic_bandwith": "1Gb/s"}}})",
               "/cluster/scale_out/nic_bandwith",
               "unknown key \"nic_bandwith\"; allowed keys are nic_bandwidth, latency, rails, "
               "spines, oversubscription, mtu, rail_optimized, jitter, loss");
}

TEST(Parser, UnknownKeyInNode) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu", "domain": 0}],
      "links": []})",
               "/nodes/0/domain", "unknown key \"domain\"; allowed keys are name, kind, host");
}

TEST(Parser, UnknownKeyInLink) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "delay": "1us"}]})",
               "/links/0/delay",
               "unknown key \"delay\"; allowed keys are a, b, tier, bandwidth, latency, jitter, "
               "loss, mtu");
}

TEST(Parser, UnknownKeyPointerIsEscaped) {
  expect_error(R"({"name": "c", "a/b~c": 1, "cluster": {}})", "/a~1b~0c", "unknown key \"a/b~c\"");
}

TEST(Parser, BothFormsAreAnError) {
  expect_error(R"({"name": "c", "cluster": {}, "nodes": [], "links": []})", "",
               "use either the compact form (\"cluster\") or the explicit form");
}

TEST(Parser, NeitherFormIsAnError) {
  expect_error(R"({"name": "c"})", "",
               "expected either \"cluster\" (compact form) or \"nodes\" and \"links\"");
}

TEST(Parser, ExplicitFormNeedsNodesAndLinks) {
  expect_error(R"({"name": "c", "nodes": []})", "/links",
               "missing required key \"links\" (the explicit form needs both");
  expect_error(R"({"name": "c", "links": []})", "/nodes", "missing required key \"nodes\"");
}

TEST(Parser, NameIsRequired) {
  expect_error(R"({"cluster": {}})", "/name", "missing required key \"name\"");
}

TEST(Parser, NameMustBeAString) {
  expect_error(R"({"name": 7, "cluster": {}})", "/name", "expected a string, got 7 (an integer)");
}

TEST(Parser, DilationAuto) {
  const Topology t = parse_topology(R"({"name": "c", "dilation": "auto",
      "cluster": {"hosts": 1, "gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"}}})",
                                    "<inline>");
  EXPECT_TRUE(t.dilation_auto);
}

TEST(Parser, DilationFractionalNumber) {
  const Topology t = parse_topology(R"({"name": "c", "dilation": 2.5,
      "cluster": {"hosts": 1, "gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"}}})",
                                    "<inline>");
  EXPECT_FALSE(t.dilation_auto);
  EXPECT_EQ(t.dilation, 2.5);
}

TEST(Parser, EcmpSeedIsKeptAndSurvivesTheExplicitForm) {
  const Topology t = parse_topology(R"({"name": "c", "ecmp_seed": 8,
      "cluster": {"hosts": 1, "gpus_per_host": 1, "scale_up": {"bandwidth": "1Gb/s"}}})",
                                    "<inline>");
  EXPECT_EQ(t.ecmp_seed, 8u);
  // A live cluster rebuilds its plan from the explicit form it wrote: the seed must be in it.
  const Topology again = parse_topology(topology_to_json(t).dump(), "<explicit>");
  EXPECT_EQ(again.ecmp_seed, 8u);
  EXPECT_EQ(parse_topology(R"({"name": "c", "cluster": {"hosts": 1, "gpus_per_host": 1,
      "scale_up": {"bandwidth": "1Gb/s"}}})", "<inline>").ecmp_seed, 0u);  // the kernel's own
}

TEST(Parser, EcmpSeedMustBeA32BitUnsignedInteger) {
  expect_error(R"({"name": "c", "ecmp_seed": 4294967296, "cluster": {}})", "/ecmp_seed",
               "an integer within 0..4294967295");
  expect_error(R"({"name": "c", "ecmp_seed": "8", "cluster": {}})", "/ecmp_seed",
               "an integer within 0..4294967295");
}

TEST(Parser, DilationOtherStringIsAnError) {
  expect_error(R"({"name": "c", "dilation": "fast", "cluster": {}})", "/dilation",
               "expected a number >= 1 or \"auto\", got \"fast\"");
  expect_error(R"({"name": "c", "dilation": true, "cluster": {}})", "/dilation",
               "expected a number >= 1 or \"auto\"");
}

TEST(Parser, UnitErrorsAreWrappedAtTheirPointer) {
  const TopologyError e = error_of(R"({"name": "c", "cluster": {"hosts": 1, "gpus_per_host": 1,
      "scale_out": {"nic_bandwidth": "400G"}}})");
  EXPECT_STREQ(e.what(),
               "<inline>: /cluster/scale_out/nic_bandwidth: expected a bandwidth like "
               "\"400Gb/s\" or \"900GB/s\", got \"400G\"");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "latency": "2u"}]})",
               "/links/0/latency", "expected a duration like \"2us\"");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "loss": "1"}]})",
               "/links/0/loss", "expected a percentage like \"0.1%\"");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "jitter": 5}]})",
               "/links/0/jitter", "expected a string like \"2us\", got 5 (an integer)");
}

TEST(Parser, NodeKindMustBeKnown) {
  expect_error(R"({"name": "c", "nodes": [{"name": "n", "kind": "nic"}], "links": []})",
               "/nodes/0/kind", "expected one of gpu, switch, router, got \"nic\"");
  expect_error(R"({"name": "c", "nodes": [{"name": "n"}], "links": []})", "/nodes/0/kind",
               "missing required key \"kind\"");
}

TEST(Parser, NodeNameIsRequired) {
  expect_error(R"({"name": "c", "nodes": [{"kind": "gpu"}], "links": []})", "/nodes/0/name",
               "missing required key \"name\"");
}

TEST(Parser, HostOnlyOnGpus) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"},
      {"name": "s", "kind": "switch", "host": 0}], "links": []})",
               "/nodes/1/host", "\"host\" is only allowed on gpus; this node is a switch");
}

TEST(Parser, HostMustBeANonNegativeInteger) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu", "host": -1}], "links": []})",
               "/nodes/0/host", "expected an integer within 0..");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu", "host": 1.5}], "links": []})",
               "/nodes/0/host", "expected an integer");
}

TEST(Parser, HostOnAllGpusOrNone) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g0", "kind": "gpu", "host": 0},
      {"name": "g1", "kind": "gpu"}], "links": []})",
               "/nodes/1", "either every gpu states \"host\" or none does");
  expect_error(R"({"name": "c", "nodes": [{"name": "g0", "kind": "gpu"},
      {"name": "g1", "kind": "gpu", "host": 0}], "links": []})",
               "/nodes/1/host", "either every gpu states \"host\" or none does");
}

TEST(Parser, NodesAndLinksMustBeArrays) {
  expect_error(R"({"name": "c", "nodes": {}, "links": []})", "/nodes",
               "expected an array of nodes");
  expect_error(R"({"name": "c", "nodes": [], "links": 3})", "/links",
               "expected an array of links");
  expect_error(R"({"name": "c", "nodes": ["gpu0"], "links": []})", "/nodes/0",
               "expected an object, got \"gpu0\" (a string)");
}

TEST(Parser, LinkRequiredKeys) {
  const char* const nodes = R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}], "links": [)";
  expect_error(std::string(nodes) + R"({"b": "s", "tier": "scale_up", "bandwidth": "1Gb/s"}]})",
               "/links/0/a", "missing required key \"a\"");
  expect_error(std::string(nodes) + R"({"a": "g", "tier": "scale_up", "bandwidth": "1Gb/s"}]})",
               "/links/0/b", "missing required key \"b\"");
  expect_error(std::string(nodes) + R"({"a": "g", "b": "s", "bandwidth": "1Gb/s"}]})",
               "/links/0/tier", "missing required key \"tier\"");
  expect_error(std::string(nodes) + R"({"a": "g", "b": "s", "tier": "scale_up"}]})",
               "/links/0/bandwidth", "missing required key \"bandwidth\"");
}

TEST(Parser, LinkTierMustBeKnown) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "nvlink", "bandwidth": "1Gb/s"}]})",
               "/links/0/tier", "expected one of scale_up, scale_out, got \"nvlink\"");
}

TEST(Parser, MtuMustBeAnInteger) {
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "mtu": "9000"}]})",
               "/links/0/mtu", "expected an integer mtu within 576..65000");
  expect_error(R"({"name": "c", "nodes": [{"name": "g", "kind": "gpu"}],
      "links": [{"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "1Gb/s", "mtu": -1}]})",
               "/links/0/mtu", "mtu must be within 576..65000, got -1");
}

TEST(Parser, LoadMissingFile) {
  try {
    load_topology("/nonexistent/dir/t.json");
    FAIL() << "expected TopologyError";
  } catch (const TopologyError& e) {
    EXPECT_EQ(e.source(), "/nonexistent/dir/t.json");
    EXPECT_EQ(e.json_pointer(), "");
    EXPECT_NE(e.message().find("cannot read the topology file"), std::string::npos);
  }
}

TEST(Parser, LoadDirectoryIsAnError) {
  try {
    load_topology(SCALELAB_SOURCE_DIR "/topologies");
    FAIL() << "expected TopologyError";
  } catch (const TopologyError& e) {
    EXPECT_EQ(e.json_pointer(), "");
    EXPECT_NE(e.message().find("directory"), std::string::npos);
  }
}

// ---- the shipped topology files

std::string topology_path(const std::string& file) {
  return std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file;
}

TEST(TopologyFiles, EveryFileParses) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(topology_path(""))) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    try {
      const Topology t = load_topology(entry.path().string());
      EXPECT_GT(t.gpu_count(), 0u);
      EXPECT_EQ(t.source, entry.path().string());
    } catch (const TopologyError& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_GE(files, 4u);
}

std::size_t count_prefix(const Topology& t, const std::string& prefix) {
  return static_cast<std::size_t>(std::count_if(t.nodes.begin(), t.nodes.end(), [&](const Node& n) {
    return n.name.rfind(prefix, 0) == 0;
  }));
}

TEST(TopologyFiles, Tiny) {
  const Topology t = load_topology(topology_path("tiny.json"));
  EXPECT_EQ(t.name, "tiny");
  EXPECT_EQ(t.gpu_count(), 4u);
  EXPECT_EQ(count_prefix(t, "nvsw"), 2u);
  EXPECT_EQ(count_prefix(t, "leaf"), 2u);
  EXPECT_EQ(count_prefix(t, "spine"), 1u);
  // gpu0 (local 0) and gpu3 (local 1) are on different rails: their leaves meet at spine0.
  auto leaf_of = [&](const std::string& gpu) {
    for (const Link& l : t.links) {
      if (l.a == gpu && l.tier == Tier::scale_out) return l.b;
    }
    return std::string();
  };
  EXPECT_EQ(leaf_of("gpu0"), "leaf0");
  EXPECT_EQ(leaf_of("gpu3"), "leaf1");
}

TEST(TopologyFiles, H100x2) {
  const Topology t = load_topology(topology_path("h100x2.json"));
  EXPECT_EQ(t.name, "h100x2");
  EXPECT_EQ(t.dilation, 1000.0);
  EXPECT_EQ(t.gpu_count(), 16u);
  EXPECT_EQ(count_prefix(t, "nvsw"), 2u);
  EXPECT_EQ(count_prefix(t, "leaf"), 8u);
  EXPECT_EQ(count_prefix(t, "spine"), 2u);
  EXPECT_EQ(t.links.size(), 16u + 16u + 8u * 2u);
  EXPECT_EQ(t.links.back().params.bandwidth_bps, 400'000'000'000ULL);  // 2 × 400G / 2
  EXPECT_EQ(t.links.back().params.mtu, 4200u);
  EXPECT_EQ(t.links.front().params.mtu, 9000u);
}

TEST(TopologyFiles, Rail128) {
  const Topology t = load_topology(topology_path("rail128.json"));
  EXPECT_EQ(t.gpu_count(), 128u);
  EXPECT_EQ(count_prefix(t, "nvsw"), 16u);
  EXPECT_EQ(count_prefix(t, "leaf"), 8u);
  EXPECT_EQ(count_prefix(t, "spine"), 4u);
  EXPECT_EQ(t.links.back().params.bandwidth_bps, 1'600'000'000'000ULL);  // 16 × 400G / 4
}

TEST(TopologyFiles, ExplicitExample) {
  const Topology t = load_topology(topology_path("explicit-example.json"));
  EXPECT_EQ(t.gpu_count(), 4u);
  EXPECT_EQ(t.nodes.size(), 7u);
  EXPECT_EQ(t.find("gpu0")->domain, 0);
  EXPECT_EQ(t.find("gpu3")->domain, 1);
  EXPECT_EQ(t.find("gpu3")->local_rank, 1);
}

// The out_of_range fuzz/ found in the job and cluster parsers (a number beyond a double's range),
// here: a TopologyError naming the file, not a bare json exception.
TEST(TopologyParser, NumberTooLargeIsATopologyError) {
  expect_error(R"({ "name": "x", "dilation": 1e999, "cluster": {} })", "", "invalid JSON: number overflow");
}

}  // namespace
}  // namespace scalelab::model
