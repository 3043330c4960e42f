#pragma once
// `scalelab job`'s output, in the nccl-tests spirit: a header saying what ran where, one row per
// step (time, compute, exposed communication, each phase: the slowest rank's), and one row per
// group (its tier, bytes and time per step, busbw), each figure also projected to the real
// cluster (times ÷ dilation, bandwidths × dilation).
#include <string>
#include <vector>

#include "emulator/job/layout.h"
#include "job/job_runner.h"

namespace scalelab::agent {

std::vector<std::string> job_step_header(const std::vector<std::string>& phases);
std::string job_step_row(const StepFigures& s, double dilation);
std::vector<std::string> job_summary(const JobReport& r, const std::vector<std::string>& phases, double dilation);
std::vector<std::string> job_group_table(const JobReport& r, double dilation);

}  // namespace scalelab::agent
