#pragma once
// Runs a job's steps on one rank: every group on its own communicator and stream, compute as
// sleeps in emulated time, and per step the figures `scalelab job` prints (slowest rank's step,
// per-phase time, exposed communication, busbw per group). All ranks call it together.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collectives/communicator.h"
#include "collectives/dtype.h"
#include "emulator/job/layout.h"
#include "emulator/job/schedule.h"

namespace scalelab::agent {

// This rank's communicator for `group` (of which it is a member, with two or more members).
using GroupConnector = std::function<std::unique_ptr<Comm>(const job::Group& group)>;

struct JobOptions {
  int steps = 5;         // timed steps
  int warmup_steps = 1;  // untimed steps before them (connections warm, buffers allocated)
  double dilation = 1;   // compute sleeps its real time × dilation
  bool check = true;     // check every operation's data on the warm-up steps
  // > 0: instead of `steps`, timed steps until rank 0 has seen this many seconds pass (at least
  // one); rank 0 sends a continue flag round before each, so every rank runs as many.
  double duration_s = 0;
  // Called on every rank after each of its steps (`--events`, the drills' timeline).
  std::function<void(const struct StepEvent&)> on_step;
};

// One rank's step, for a drill's timeline: wall-clock bounds and what it moved.
struct StepEvent {
  int rank = 0, step = 0;
  bool warmup = false;
  double start_unix = 0, end_unix = 0;  // the step's period: from the previous step's end (lockstep)
  double bytes = 0;           // every operation's bytes this step
  double throughput_GBps = 0; // bytes ÷ the step's period: how fast the job moves its data
};

struct PhaseTime {
  std::string name;
  double seconds = 0;  // slowest rank: the sum of this rank's operations of the phase in the step
};

struct StepFigures {
  int step = 0;
  bool warmup = false;
  double seconds = 0;          // the slowest rank's step
  double compute_seconds = 0;  // the most compute any rank did
  double exposed_seconds = 0;  // the most time any rank spent waiting on communication
  std::vector<PhaseTime> phases;
  std::int64_t wrong = -1;     // elements/bytes wrong over all ranks; -1 not checked
  // Inference: the slowest decode rank's time per output token (its compute and TP time ÷ the
  // tokens it decoded); -1 for training jobs.
  double token_seconds = -1;
};

struct GroupFigures {
  job::GroupKind kind = job::GroupKind::tp;
  int size = 0, count = 0;     // members per group, groups of the kind
  std::string tier;            // "scale_up", "scale_out" or "both"
  int ops_per_step = 0;
  double bytes_per_step = 0;   // what one rank moves per step (the largest)
  double seconds_per_step = 0; // its operations' time per step (the slowest rank)
  double busbw_GBps = 0;       // nccl-tests' bus bandwidth over the timed steps, the slowest rank's
};

struct JobReport {
  std::vector<StepFigures> steps;
  std::vector<GroupFigures> groups;
  std::int64_t wrong = -1;
  double mean_step_seconds = 0;  // over the timed steps
  double mean_token_seconds = -1;  // inference: over the timed steps
};

// `tier_of(a, b)`: "scale_up" or "scale_out" between world ranks (for the report).
JobReport run_job(Comm& world, const GroupConnector& connect, const job::JobSpec& spec, const job::Layout& layout,
                  DType dtype, const JobOptions& opts, const std::function<std::string(int, int)>& tier_of);

nlohmann::json report_json(const JobReport& r, double dilation);

}  // namespace scalelab::agent
