#pragma once
// A topology as a Graphviz picture (`scalelab graph`): hosts as clusters, scale-up and scale-out
// tiers in their own colours, node shapes per kind, every link labelled with its rate, real → emulated.
#include <map>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::graph {

// Colours of the two tiers (edges, and the outline of switches that serve one tier).
inline constexpr const char* kScaleUpColour = "#2e7d32";   // green
inline constexpr const char* kScaleOutColour = "#1565c0";  // blue

// An undirected DOT graph:
//  - gpus: boxes, inside `subgraph cluster_host<N>` (label "host N"); a scale-up switch whose links
//    all go to gpus of one host sits in that host's cluster; a scale-up domain spanning several
//    hosts (nvl72) wraps its hosts and its switches in `subgraph cluster_domain<D>`.
//  - switches: hexagons, routers: octagons, outlined in the colour of the tier they serve.
//  - links: coloured per tier, labelled "<real rate> → <emulated rate>" (the plan's htb rate),
//    with a tooltip naming both ends, latency (real → emulated) and MTU.
//  - a legend (tier colours, shapes) and a title with the cluster name, size and dilation.
// `plan` must have been built from `topology` (plan::build_plan).
std::string topology_dot(const model::Topology& topology, const plan::Plan& plan);

// How a job marks a GPU (`scalelab graph --job`): a second label line ("tp0 pp1 dp0") and a fill
// colour for the group it is in.
struct GpuMark {
  std::string label, fill, tooltip;
};
// The same picture with the GPUs named in `marks` (by node name) labelled and filled; `legend`
// lines are added under the title.
std::string topology_dot(const model::Topology& topology, const plan::Plan& plan, const std::map<std::string, GpuMark>& marks,
                         const std::string& legend);

// Runs `dot -Tsvg -o path` on `dot` (Graphviz). Throws std::runtime_error when `dot` is missing
// or fails (with its exit status).
void write_svg(const std::string& dot, const std::string& path);

// Whether a `dot` executable is on PATH.
bool dot_available();

}  // namespace scalelab::graph
