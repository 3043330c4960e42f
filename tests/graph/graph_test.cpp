// `scalelab graph`: the DOT text names every node and link with its tier colour and rates; the SVG
// is drawn when Graphviz is installed.
#include "emulator/graph/graph.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::graph {
namespace {

std::string topology_path(const std::string& file) { return std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file; }

struct Drawn {
  model::Topology topology;
  plan::Plan plan;
  std::string dot;
};

Drawn draw(const std::string& file) {
  Drawn d;
  d.topology = model::load_topology(topology_path(file));
  d.plan = plan::build_plan(d.topology);
  d.dot = topology_dot(d.topology, d.plan);
  return d;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The visible edges of the DOT text: `"a" -- "b" [color=…, …]`, invisible layout edges excluded.
struct Edge {
  std::string a, b, attributes;
};
std::vector<Edge> edges(const std::string& dot) {
  std::vector<Edge> out;
  static const std::regex edge(R"re(^\s*"([^"]+)" -- "([^"]+)" \[(.*)\];$)re");
  std::istringstream in(dot);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, edge) && m[3].str().find("style=invis") == std::string::npos)
      out.push_back({m[1], m[2], m[3]});
  }
  return out;
}

TEST(Dot, EveryNodeAndLinkWithTierColours) {
  const Drawn d = draw("tiny.json");
  EXPECT_EQ(d.dot.rfind("graph \"tiny\" {", 0), 0u);
  EXPECT_EQ(d.dot.back(), '\n');
  for (const auto& n : d.topology.nodes) EXPECT_NE(d.dot.find("\"" + n.name + "\" [shape="), std::string::npos) << n.name;
  const auto drawn = edges(d.dot);
  ASSERT_EQ(drawn.size(), d.topology.links.size());
  for (const auto& l : d.topology.links) {
    bool found = false;
    for (const auto& e : drawn) {
      if (!((e.a == l.a && e.b == l.b) || (e.a == l.b && e.b == l.a))) continue;
      found = true;
      const std::string colour = l.tier == model::Tier::scale_up ? kScaleUpColour : kScaleOutColour;
      EXPECT_NE(e.attributes.find("color=\"" + colour + "\""), std::string::npos) << l.a << "-" << l.b;
      EXPECT_NE(e.attributes.find(std::string("class=\"") + model::to_string(l.tier) + "\""), std::string::npos);
    }
    EXPECT_TRUE(found) << l.a << " -- " << l.b;
  }
  // Rates real → emulated (dilation 1000): NVLink 3.6Tb/s → 3.6Gb/s, NIC 400Gb/s → 400Mb/s,
  // leaf–spine 800Gb/s → 800Mb/s.
  EXPECT_EQ(count(d.dot, "label=\"3.6Tb/s → 3.6Gb/s\""), 4u);
  EXPECT_EQ(count(d.dot, "label=\"400Gb/s → 400Mb/s\""), 4u);
  EXPECT_EQ(count(d.dot, "label=\"800Gb/s → 800Mb/s\""), 2u);
  EXPECT_NE(d.dot.find("latency 2us → 2ms"), std::string::npos);
}

TEST(Dot, HostsAreClustersAndKindsHaveShapes) {
  const Drawn d = draw("tiny.json");
  EXPECT_NE(d.dot.find("subgraph cluster_host0 {"), std::string::npos);
  EXPECT_NE(d.dot.find("subgraph cluster_host1 {"), std::string::npos);
  // nvsw0 is drawn inside host 0's cluster, the leaves and the spine outside any.
  const auto host0 = d.dot.find("subgraph cluster_host0 {");
  const auto host0_end = d.dot.find("\n  }\n", host0);
  const std::string inside = d.dot.substr(host0, host0_end - host0);
  EXPECT_NE(inside.find("\"gpu0\" [shape=box"), std::string::npos);
  EXPECT_NE(inside.find("\"gpu1\" [shape=box"), std::string::npos);
  EXPECT_NE(inside.find("\"nvsw0\" [shape=hexagon"), std::string::npos);
  EXPECT_EQ(inside.find("leaf0"), std::string::npos);
  EXPECT_NE(d.dot.find("\"spine0\" [shape=octagon"), std::string::npos);
  EXPECT_NE(d.dot.find("\"leaf0\" [shape=hexagon, style=filled, fillcolor=\"#ffffff\", color=\"" +
                       std::string(kScaleOutColour)),
            std::string::npos);
  EXPECT_NE(d.dot.find("\"nvsw0\" [shape=hexagon, style=filled, fillcolor=\"#ffffff\", color=\"" +
                       std::string(kScaleUpColour)),
            std::string::npos);
}

TEST(Dot, DomainsSpanningHostsAreClustersToo) {
  const Drawn d = draw("nvl72.json");
  EXPECT_NE(d.dot.find("subgraph cluster_domain0 {"), std::string::npos);
  EXPECT_NE(d.dot.find("subgraph cluster_domain1 {"), std::string::npos);
  EXPECT_NE(d.dot.find("subgraph cluster_host35 {"), std::string::npos);
  EXPECT_EQ(edges(d.dot).size(), d.topology.links.size());
  for (const auto& n : d.topology.nodes) EXPECT_NE(d.dot.find("\"" + n.name + "\" [shape="), std::string::npos) << n.name;
  // nvsw1 sits in domain 1's cluster, not in a host's.
  const auto domain1 = d.dot.find("subgraph cluster_domain1 {");
  EXPECT_LT(domain1, d.dot.find("\"nvsw1\" [shape="));
}

TEST(Dot, EveryShippedTopology) {
  for (const auto& entry : std::filesystem::directory_iterator(topology_path(""))) {
    if (entry.path().extension() != ".json") continue;
    const Drawn d = draw(entry.path().filename().string());
    SCOPED_TRACE(entry.path().string());
    EXPECT_EQ(edges(d.dot).size(), d.topology.links.size());
    EXPECT_EQ(count(d.dot, "{"), count(d.dot, "}"));
  }
}

TEST(Svg, DrawnWhenGraphvizIsInstalled) {
  if (!dot_available()) GTEST_SKIP() << "graphviz's dot is not installed";
  const Drawn d = draw("tiny.json");
  const auto dir = std::filesystem::temp_directory_path() / ("scalelab-graph-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto svg = dir / "tiny.svg";
  write_svg(d.dot, svg.string());
  std::ifstream in(svg);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  EXPECT_NE(text.find("<svg"), std::string::npos);
  EXPECT_NE(text.find("gpu3"), std::string::npos);
  EXPECT_NE(text.find("spine0"), std::string::npos);
  EXPECT_NE(text.find(kScaleUpColour), std::string::npos);
  // A broken graph is an error that names dot, not a silent empty file.
  EXPECT_THROW(write_svg("graph { this is not dot", (dir / "bad.svg").string()), std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scalelab::graph

TEST(GraphJobMarks, LabelAndFillTheMarkedGpusOnly) {
  const auto topology = scalelab::model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json");
  const auto plan = scalelab::plan::build_plan(topology);
  const std::string dot = scalelab::graph::topology_dot(topology, plan, {{"gpu2", {"tp0 pp1", "#c8e6c9", "pp group 0"}}},
                                                        "job x: legend");
  EXPECT_NE(dot.find("\"gpu2\" [shape=box, style=\"rounded,filled\", fillcolor=\"#c8e6c9\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("label=\"gpu2\\ntp0 pp1\""), std::string::npos) << dot;
  EXPECT_NE(dot.find("job x: legend"), std::string::npos);
  EXPECT_NE(dot.find("\"gpu1\" [shape=box, style=\"rounded,filled\", fillcolor=\"#fff8e1\""), std::string::npos) << dot;
}
