#include "emulator/costmodel/job_model.h"

#include <gtest/gtest.h>

namespace scalelab::costmodel {
namespace {

plan::Plan shipped(const std::string& file) {
  return plan::build_plan(model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file));
}

std::vector<int> domains(const plan::Plan& p) {
  std::vector<int> d;
  for (const auto& ns : p.namespaces)
    if (ns.kind == model::NodeKind::gpu) d.push_back(ns.domain);
  return d;
}

job::JobSpec shipped_job(const std::string& file) { return job::load_job(std::string(SCALELAB_SOURCE_DIR) + "/jobs/" + file); }

double phase(const JobPrediction& p, const std::string& name) {
  for (const auto& ph : p.phases)
    if (ph.name == name) return ph.seconds;
  ADD_FAILURE() << "no phase " << name;
  return 0;
}

TEST(JobModel, GroupPlanKeepsOnlyTheMembersAsGpus) {
  const auto plan = shipped("h100x2.json");
  const auto g = group_plan(plan, {1, 9});
  int gpus = 0;
  for (const auto& n : g.topology.nodes) gpus += n.kind == model::NodeKind::gpu;
  EXPECT_EQ(gpus, 2);
  const CostModel m(g);
  EXPECT_EQ(m.nranks(), 2);
  EXPECT_GT(m.predict(Collective::all_reduce, Algorithm::automatic, 1 << 20, false).time_us, 0);
}

TEST(JobModel, PipelineStepHasComputeTensorAndPipelineTimeAndScalesWithDilation) {
  const auto plan = shipped("tiny.json");
  const auto spec = shipped_job("tiny-3d.json");
  const auto layout = job::make_layout(spec.parallel, domains(plan), spec.source);
  const auto real = predict_job(plan, spec, layout, 1, false);
  const auto emu = predict_job(plan, spec, layout, 1, true);
  EXPECT_GT(real.step_seconds, real.compute_seconds);
  EXPECT_GT(phase(real, "tp"), 0);
  EXPECT_GT(phase(real, "pp"), 0);
  // 1F1B on 2 stages, 3 micro-batches, 2 layers: each stage computes 3 × 2 × (20 + 40) us + the optimizer.
  EXPECT_NEAR(real.compute_seconds, 3 * 2 * 60e-6 + 20e-6, 1e-9);
  EXPECT_NEAR(emu.compute_seconds, real.compute_seconds * plan.dilation, 1e-9);
  EXPECT_NEAR(emu.step_seconds / real.step_seconds, plan.dilation, plan.dilation * 0.05);
}

TEST(JobModel, OverlappedBucketsHideGradientTime) {
  const auto plan = shipped("h100x2.json");
  auto spec = shipped_job("llama-3d.json");
  const auto layout = job::make_layout(spec.parallel, domains(plan), spec.source);
  const auto overlapped = predict_job(plan, spec, layout, 1, false);
  spec.overlap = false;
  const auto after = predict_job(plan, spec, layout, 1, false);
  EXPECT_GT(phase(after, "dp"), 0);
  EXPECT_LT(overlapped.step_seconds, after.step_seconds);
}

TEST(JobModel, SkewedExpertsCostMoreThanUniformOnes) {
  const auto plan = shipped("h100x2.json");
  auto spec = shipped_job("moe-ep.json");
  const auto layout = job::make_layout(spec.parallel, domains(plan), spec.source);
  spec.moe->skew = 0;
  const auto uniform = predict_job(plan, spec, layout, 1, false);
  spec.moe->skew = 2;
  const auto skewed = predict_job(plan, spec, layout, 1, false);
  EXPECT_GT(phase(uniform, "ep dispatch"), 0);
  EXPECT_GT(phase(skewed, "ep dispatch"), 1.3 * phase(uniform, "ep dispatch"));
}

}  // namespace
}  // namespace scalelab::costmodel
