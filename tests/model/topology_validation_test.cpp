#include "emulator/model/topology_validation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "emulator/model/topology.h"

namespace scalelab::model {
namespace {

void check_error(const TopologyError& e, const std::string& pointer, const std::string& needle) {
  EXPECT_EQ(e.json_pointer(), pointer) << e.what();
  EXPECT_NE(e.message().find(needle), std::string::npos)
      << "message: " << e.message() << "\nexpected to contain: " << needle;
}

void expect_error(const std::string& text, const std::string& pointer, const std::string& needle) {
  try {
    parse_topology(text, "<inline>");
    ADD_FAILURE() << "expected a TopologyError for:\n" << text;
  } catch (const TopologyError& e) {
    check_error(e, pointer, needle);
  }
}

void expect_invalid(const Topology& t, const std::string& pointer, const std::string& needle) {
  try {
    validate_topology(t);
    ADD_FAILURE() << "expected a TopologyError";
  } catch (const TopologyError& e) {
    check_error(e, pointer, needle);
    EXPECT_EQ(e.source(), t.source);
  }
}

// An explicit file: `nodes` and `links` are the bodies of the arrays.
std::string explicit_form(const std::string& nodes, const std::string& links,
                          const std::string& name = "v") {
  return R"({"name": ")" + name + R"(", "nodes": [)" + nodes + R"(], "links": [)" + links + "]}";
}

std::string gpu(const std::string& name) { return R"({"name": ")" + name + R"(", "kind": "gpu"})"; }
std::string sw(const std::string& name) {
  return R"({"name": ")" + name + R"(", "kind": "switch"})";
}
std::string link(const std::string& a, const std::string& b, const std::string& tier = "scale_out",
                 const std::string& extra = "") {
  return R"({"a": ")" + a + R"(", "b": ")" + b + R"(", "tier": ")" + tier +
         R"(", "bandwidth": "1Gb/s")" + extra + "}";
}

// A hand-built valid topology: gpu0 — sw0.
Topology small() {
  Topology t;
  t.name = "small";
  t.source = "hand";
  Node g;
  g.name = "gpu0";
  g.kind = NodeKind::gpu;
  g.host = 0;
  g.local_rank = 0;
  g.json_pointer = "/nodes/0";
  Node s;
  s.name = "sw0";
  s.kind = NodeKind::switch_;
  s.json_pointer = "/nodes/1";
  t.nodes = {g, s};
  Link l;
  l.a = "gpu0";
  l.b = "sw0";
  l.params.bandwidth_bps = 1'000'000'000;
  l.json_pointer = "/links/0";
  t.links = {l};
  return t;
}

TEST(Validation, SmallTopologyIsValid) { EXPECT_NO_THROW(validate_topology(small())); }

TEST(Validation, ExplicitBaselineIsValid) {
  EXPECT_NO_THROW(parse_topology(explicit_form(gpu("gpu0") + "," + sw("sw0"), link("gpu0", "sw0")),
                                 "<inline>"));
}

// ---- cluster name
TEST(Validation, ClusterNameCharset) {
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), "H100"), "/name",
               "cluster name must match [a-z0-9][a-z0-9-]{0,23} (it becomes part of the "
               "namespace names sl-<name>-<node>), got \"H100\"");
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), "-lab"), "/name",
               "got \"-lab\"");
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), "lab_1"), "/name",
               "cluster name must match");
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), ""), "/name",
               "cluster name must match");
}

TEST(Validation, ClusterNameLength) {
  const std::string ok(24, 'a');
  EXPECT_NO_THROW(parse_topology(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), ok),
                                 "<inline>"));
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s"), ok + "a"), "/name",
               "cluster name must match [a-z0-9][a-z0-9-]{0,23}");
}

// ---- dilation
TEST(Validation, DilationAtLeastOne) {
  expect_error(R"({"name": "v", "dilation": 0.5, "nodes": [{"name": "g", "kind": "gpu"},
      {"name": "s", "kind": "switch"}], "links": [{"a": "g", "b": "s", "tier": "scale_up",
      "bandwidth": "1Gb/s"}]})",
               "/dilation", "dilation must be a number >= 1 or \"auto\", got 0.5");
  Topology t = small();
  t.dilation = std::nan("");
  expect_invalid(t, "/dilation", "dilation must be a number >= 1 or \"auto\"");
  t.dilation = 0;
  t.dilation_auto = true;  // the number is irrelevant with "auto"
  EXPECT_NO_THROW(validate_topology(t));
}

// ---- node set
TEST(Validation, AtLeastOneGpu) {
  expect_error(explicit_form(sw("a") + "," + sw("b"), link("a", "b")), "/nodes",
               "the topology has no gpus");
  expect_error(explicit_form("", ""), "/nodes", "the topology has no gpus");
}

TEST(Validation, AtMost8192Nodes) {
  Topology t = small();
  Node extra;
  extra.kind = NodeKind::router;
  for (int i = 0; i < 8191; ++i) {
    extra.name = "r" + std::to_string(i);
    extra.json_pointer = "/nodes/" + std::to_string(i + 2);
    t.nodes.push_back(extra);
  }
  expect_invalid(t, "/nodes", "8193 nodes; at most 8192 are supported");
}

// ---- node names
TEST(Validation, NodeNameCharset) {
  expect_error(explicit_form(gpu("gpu 0") + "," + sw("s"), link("gpu 0", "s")), "/nodes/0/name",
               "node name must be 1..15 characters of [A-Za-z0-9_.-] (it becomes an interface "
               "name on its peer, and Linux allows 15), got \"gpu 0\"");
  expect_error(explicit_form(gpu("g") + "," + sw("s/1"), link("g", "s/1")), "/nodes/1/name",
               "got \"s/1\"");
  expect_error(explicit_form(gpu("g") + "," + sw(""), link("g", "")), "/nodes/1/name",
               "node name must be 1..15 characters");
}

TEST(Validation, NodeNameLength) {
  const std::string fifteen = "A.b_c-0123456789";  // 16
  expect_error(explicit_form(gpu("g") + "," + sw(fifteen), link("g", fifteen)), "/nodes/1/name",
               "node name must be 1..15 characters");
  const std::string ok = fifteen.substr(1);
  EXPECT_NO_THROW(parse_topology(explicit_form(gpu("g") + "," + sw(ok), link("g", ok)),
                                 "<inline>"));
}

TEST(Validation, NodeNameReserved) {
  expect_error(explicit_form(gpu("g") + "," + sw("lo"), link("g", "lo")), "/nodes/1/name",
               "node name \"lo\" is reserved");
  expect_error(explicit_form(gpu("br0") + "," + sw("s"), link("br0", "s")), "/nodes/0/name",
               "node name \"br0\" is reserved");
}

TEST(Validation, NodeNamesUnique) {
  expect_error(explicit_form(gpu("g") + "," + sw("x") + "," + gpu("x"), link("g", "x")),
               "/nodes/2/name", "duplicate node name \"x\", first defined at /nodes/1");
}

// ---- links
TEST(Validation, LinkEndsMustExist) {
  expect_error(explicit_form(gpu("gpu0") + "," + gpu("gpu1") + "," + sw("sw0"),
                             link("gpu0", "sw0") + "," + link("gpuX", "sw0")),
               "/links/1/a", "unknown node \"gpuX\"; known nodes are gpu0, gpu1, sw0");
  expect_error(explicit_form(gpu("gpu0") + "," + sw("sw0"), link("gpu0", "sw9")), "/links/0/b",
               "unknown node \"sw9\"");
}

TEST(Validation, UnknownNodeListsTheFirstEight) {
  std::string nodes = gpu("g0");
  for (int i = 1; i < 10; ++i) nodes += "," + gpu("g" + std::to_string(i));
  expect_error(explicit_form(nodes, link("g0", "nope")), "/links/0/b",
               "unknown node \"nope\"; known nodes are g0, g1, g2, g3, g4, g5, g6, g7, … (first 8 "
               "of 10)");
}

TEST(Validation, LinkEndsMustDiffer) {
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s") + "," + link("s", "s")),
               "/links/1/b", "a link must connect two different nodes; both ends are \"s\"");
}

TEST(Validation, OneLinkPerPair) {
  expect_error(explicit_form(gpu("g") + "," + sw("s"),
                             link("g", "s") + "," + link("s", "g", "scale_up")),
               "/links/1",
               "duplicate link between \"s\" and \"g\" (at most one link per pair of nodes), "
               "first defined at /links/0");
}

TEST(Validation, MtuRange) {
  expect_error(explicit_form(gpu("g") + "," + sw("s"), link("g", "s", "scale_up", R"(, "mtu": 575)")),
               "/links/0/mtu", "mtu must be within 576..65000, got 575");
  expect_error(explicit_form(gpu("g") + "," + sw("s"),
                             link("g", "s", "scale_up", R"(, "mtu": 65001)")),
               "/links/0/mtu", "mtu must be within 576..65000, got 65001");
  for (const char* ok : {R"(, "mtu": 576)", R"(, "mtu": 65000)"}) {
    EXPECT_NO_THROW(parse_topology(explicit_form(gpu("g") + "," + sw("s"),
                                                 link("g", "s", "scale_up", ok)),
                                   "<inline>"));
  }
  Topology t = small();
  t.links[0].params.mtu = 100;
  t.links[0].json_pointer = "/cluster/scale_out";  // compact links name the tier's mtu key
  expect_invalid(t, "/cluster/scale_out/mtu", "mtu must be within 576..65000, got 100");
}

TEST(Validation, BandwidthPositive) {
  // Unreachable from JSON ("0Gb/s" is a unit error); guards hand-built topologies.
  Topology t = small();
  t.links[0].params.bandwidth_bps = 0;
  expect_invalid(t, "/links/0/bandwidth", "bandwidth must be > 0");
  expect_error(explicit_form(gpu("g") + "," + sw("s"),
                             R"({"a": "g", "b": "s", "tier": "scale_up", "bandwidth": "0Gb/s"})"),
               "/links/0/bandwidth", "bandwidth must be > 0");
}

// ---- dangling
TEST(Validation, EveryNodeHasALink) {
  expect_error(explicit_form(gpu("g") + "," + sw("s") + "," + sw("lonely"), link("g", "s")),
               "/nodes/2", "node \"lonely\" has no links (dangling)");
  expect_error(explicit_form(gpu("g0") + "," + gpu("g1") + "," + sw("s"), link("g0", "s")),
               "/nodes/1", "node \"g1\" has no links (dangling)");
}

// ---- L2 loops
TEST(Validation, SwitchLinksMustNotFormALoop) {
  const std::string nodes = gpu("g") + "," + sw("s0") + "," + sw("s1") + "," + sw("s2");
  expect_error(explicit_form(nodes, link("g", "s0") + "," + link("s0", "s1") + "," +
                                        link("s1", "s2") + "," + link("s2", "s0")),
               "/links/3",
               "link \"s2\"–\"s0\" closes an L2 loop s2 → s1 → s0 → s2; switch-to-switch links "
               "must form a tree");
}

TEST(Validation, SwitchTreeIsFine) {
  const std::string nodes =
      gpu("g") + "," + sw("s0") + "," + sw("s1") + "," + sw("s2") + "," + sw("s3");
  EXPECT_NO_THROW(parse_topology(
      explicit_form(nodes, link("g", "s0") + "," + link("s0", "s1") + "," + link("s0", "s2") +
                               "," + link("s2", "s3")),
      "<inline>"));
}

TEST(Validation, LoopsThroughRoutersAndGpusAreNotL2Loops) {
  const std::string nodes = gpu("g0") + "," + gpu("g1") + "," + sw("s0") + "," + sw("s1") + "," +
                            R"({"name": "r", "kind": "router"})";
  // s0–s1 plus s0–r–s1 (L3), and g0 on both switches (a gpu is not a bridge).
  EXPECT_NO_THROW(parse_topology(
      explicit_form(nodes, link("s0", "s1") + "," + link("s0", "r") + "," + link("s1", "r") +
                               "," + link("g0", "s0") + "," + link("g0", "s1", "scale_up") + "," +
                               link("g1", "s1")),
      "<inline>"));
}

// ---- per-gpu interfaces
std::string gpu_with_switches(int switches, const std::string& tier) {
  std::string nodes = gpu("g");
  std::string links;
  for (int i = 0; i < switches; ++i) {
    const std::string s = "s" + std::to_string(i);
    nodes += "," + sw(s);
    links += (i ? "," : "") + link("g", s, tier);
  }
  return explicit_form(nodes, links);
}

TEST(Validation, AtMostEightScaleUpLinksPerGpu) {
  EXPECT_NO_THROW(parse_topology(gpu_with_switches(8, "scale_up"), "<inline>"));
  expect_error(gpu_with_switches(9, "scale_up"), "/links/8",
               "gpu \"g\" has more than 8 scale_up links (its interfaces are nvl0..nvl7)");
}

TEST(Validation, AtMostEightScaleOutLinksPerGpu) {
  EXPECT_NO_THROW(parse_topology(gpu_with_switches(8, "scale_out"), "<inline>"));
  expect_error(gpu_with_switches(9, "scale_out"), "/links/8",
               "gpu \"g\" has more than 8 scale_out links (its interfaces are nic0..nic7)");
}

TEST(Validation, ErrorsNameTheSource) {
  Topology t = small();
  t.name = "Bad";
  try {
    validate_topology(t);
    FAIL();
  } catch (const TopologyError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("hand: /name: cluster name must match", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace scalelab::model
