#pragma once
// `scalelab model` output: a nccl-tests-like table of predictions (real cluster and emulated side by
// side), the paths a message can take, and the stages of the largest size; or the same as JSON.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "emulator/costmodel/costmodel.h"

namespace scalelab::costmodel {

struct Report {
  std::string cluster, source;
  Collective collective = Collective::all_reduce;
  Algorithm requested = Algorithm::automatic;
  Options options;
  double dilation = 1;
  int nranks = 0;
  std::vector<PathSummary> paths;
  std::vector<Prediction> real, emulated;  // one per size, same sizes
};

// Predictions for every size of the sweep, in both unit systems.
Report make_report(const plan::Plan& plan, const CostModel& model, Collective c, Algorithm a,
                   const std::vector<std::uint64_t>& sizes);

// emulated_only: the emulated columns alone, laid out as the agents print a live run.
std::string report_text(const Report& report, bool emulated_only);
nlohmann::json report_json(const Report& report);
nlohmann::json prediction_json(const Prediction& p);

}  // namespace scalelab::costmodel
