#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <fstream>
#include <memory>

#include "emulator/cli/cli_support.h"
#include "emulator/graph/graph.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::cli {

void add_graph_command(CLI::App& app) {
  struct Options {
    std::string file, svg, dot;
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
  cmd->callback([opts] {
    const auto topology = model::load_topology(opts->file);
    const auto plan = plan::build_plan(topology, opts->dilation);
    const std::string dot = graph::topology_dot(topology, plan);
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
