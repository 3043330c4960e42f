#pragma once
// The cost model of a job step: every operation of every rank's program (emulator/job) priced by
// the alpha-beta model on the ranks of its group, and the programs played against each other —
// a collective starts when its last member reaches it, a pipeline receive ends when its message
// has arrived, asynchronous buckets run on their group's stream beside the compute — so the step
// time, each phase's time and the exposed communication come out under the same names the agents
// report (`scalelab model --job`, `scalelab job --compare-model`).
#include <string>
#include <vector>

#include "emulator/costmodel/costmodel.h"
#include "emulator/job/layout.h"
#include "emulator/job/schedule.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel {

struct PhasePrediction {
  std::string name;
  double seconds = 0;  // the slowest rank's time in the phase's operations (waiting for peers included)
};

struct JobPrediction {
  bool emulated = true;
  double step_seconds = 0;
  double compute_seconds = 0;  // the most any rank computes
  double exposed_seconds = 0;  // the most any rank waits on communication
  std::vector<PhasePrediction> phases;  // job::phase_names order
};

// The plan restricted to `members` (world ranks, ascending): every other GPU kept as a dead-end
// node that no message crosses, so the model prices one group's collective on the group alone.
plan::Plan group_plan(const plan::Plan& plan, const std::vector<int>& members);

// Throws std::runtime_error if the programs cannot complete (an operation nobody matches).
JobPrediction predict_job(const plan::Plan& plan, const job::JobSpec& spec, const job::Layout& layout, int step,
                          bool emulated, const Options& options = {});

}  // namespace scalelab::costmodel
