#pragma once
// The job model's tables: `scalelab model --job` (predicted, real and emulated units) and
// `scalelab job --compare-model` (measured against predicted, phase by phase, same names).
#include <nlohmann/json.hpp>

#include "emulator/costmodel/job_model.h"

namespace scalelab::cli {

// The mean prediction over steps first..first+count-1 (MoE routing changes per step).
costmodel::JobPrediction mean_job_prediction(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                                             int first, int count, bool emulated, const costmodel::Options& options);
void print_job_prediction(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                          const costmodel::Options& options);
// `measured`: the job agent's --json; returns the worst |error| of the step time, in %.
double print_job_comparison(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout,
                            const nlohmann::json& measured, const costmodel::Options& options);

}  // namespace scalelab::cli
