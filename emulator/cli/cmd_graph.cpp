#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/graph/graph.h"
#include "emulator/job/layout.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::cli {
namespace {

// Every GPU labelled "tp0 pp1 dp0 ep0" (its rank in each group) and filled by its group of one kind.
std::string job_dot(const model::Topology& topology, const plan::Plan& plan, const std::string& job_file,
                    const std::string& colour_by) {
  static const char* palette[] = {"#ffe0b2", "#c8e6c9", "#bbdefb", "#f8bbd0", "#d1c4e9", "#b2ebf2", "#fff9c4", "#ffccbc",
                                  "#dcedc8", "#cfd8dc", "#f0f4c3", "#e1bee7"};
  const auto spec = job::load_job(job_file);
  const auto layout = job::make_layout(spec.parallel, plan::gpu_domains(plan), spec.source);
  std::vector<std::string> names;  // rank order
  for (const auto& ns : plan.namespaces)
    if (ns.kind == model::NodeKind::gpu) names.push_back(ns.node);
  job::GroupKind by = job::GroupKind::pp;
  for (auto k : job::kGroupKinds)
    if (colour_by == job::group_kind_name(k)) by = k;
  std::map<std::string, graph::GpuMark> marks;
  for (int r = 0; r < layout.world; ++r) {
    graph::GpuMark m;
    for (auto k : job::kGroupKinds)
      if (layout.size(k) > 1) m.label += fmt::format("{}{}{}", m.label.empty() ? "" : " ", job::group_kind_name(k), layout.group_rank(k, r));
    const auto& g = layout.group_of(by, r);
    m.fill = palette[g.index % (sizeof palette / sizeof *palette)];
    m.tooltip = fmt::format("{} group {} of job {}", colour_by, g.index, spec.name);
    marks[names[r]] = m;
  }
  return graph::topology_dot(topology, plan, marks,
                             fmt::format("job {}: {}; colour = {} group, label = rank in each group", spec.name, layout.describe(), colour_by));
}

}  // namespace

void add_graph_command(CLI::App& app) {
  struct Options {
    std::string file, svg, dot, job, colour_by = "pp";
    double dilation = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("graph",
                                 "Draw a topology with Graphviz: hosts, tiers in colour, rates real → emulated; "
                                 "without -o or --dot the DOT text goes to stdout");
  cmd->add_option("topology", opts->file, "topology JSON")->required()->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", opts->svg, "write an SVG here (runs graphviz's dot)");
  cmd->add_option("--dot", opts->dot, "write the DOT source here");
  cmd->add_option("--dilation", opts->dilation, "override the file's dilation")->check(CLI::Range(1.0, 1e12));
  cmd->add_option("--job", opts->job, "label every GPU with its place in this job (tp/pp/dp/ep) and colour its groups")
      ->check(CLI::ExistingFile);
  cmd->add_option("--colour-by", opts->colour_by, "with --job: the group kind that sets a GPU's colour")
      ->check(CLI::IsMember({"tp", "pp", "dp", "ep"}))
      ->capture_default_str();
  cmd->callback([opts] {
    const auto topology = model::load_topology(opts->file);
    const auto plan = plan::build_plan(topology, opts->dilation);
    const std::string dot = opts->job.empty() ? graph::topology_dot(topology, plan) : job_dot(topology, plan, opts->job, opts->colour_by);
    if (opts->svg.empty() && opts->dot.empty()) return fmt::print("{}", dot);
    if (!opts->dot.empty()) {
      std::ofstream out(opts->dot, std::ios::binary | std::ios::trunc);
      out << dot;
      out.close();
      if (!out) fail(fmt::format("cannot write {}", opts->dot));
      fmt::print("wrote {}\n", opts->dot);
    }
    if (!opts->svg.empty()) {
      try {
        graph::write_svg(dot, opts->svg);
      } catch (const std::runtime_error& e) {
        fail(e.what());
      }
      fmt::print("wrote {}\n", opts->svg);
    }
  });
}

}  // namespace scalelab::cli
