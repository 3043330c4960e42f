// scalelab::plan: the topology parsed, validated and planned, with nothing touched.
#include "emulator/api/summary.h"
#include "emulator/api/translate.h"
#include "emulator/model/topology_validation.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/plan_json.h"
#include "scalelab/cluster.h"

namespace scalelab {

PlanSummary plan_topology(const std::string& topology_file, const std::optional<std::string>& name) {
  return api::translated([&] {
    auto topology = model::load_topology(topology_file);
    if (name) {
      topology.name = *name;
      model::validate_topology(topology);
    }
    return api::summarize(plan::build_plan(topology));
  });
}

namespace api {

PlanSummary summarize(const plan::Plan& p) {
  PlanSummary s;
  s.cluster = p.cluster;
  s.dilation = p.dilation;
  s.gpus = p.gpu_count();
  s.namespaces = p.namespaces.size();
  s.links = p.veths.size();
  for (const auto& ns : p.namespaces) {
    s.routes += ns.routes.size();
    s.nodes.push_back(ns.node);
  }
  s.gpu_domains = plan::gpu_domains(p);
  s.json = plan::plan_to_json(p);
  s.text = plan::plan_to_text(p, false);
  return s;
}

}  // namespace api

}  // namespace scalelab
