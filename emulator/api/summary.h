#pragma once
// Internal: a plan as the API describes it (plan_topology, UpOptions::before_create).
#include "emulator/plan/plan.h"
#include "scalelab/cluster.h"

namespace scalelab::api {

PlanSummary summarize(const plan::Plan& plan);

}  // namespace scalelab::api
