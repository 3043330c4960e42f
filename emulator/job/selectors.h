#pragma once
// Drill targets by a job's structure: `group:dp:0` (the members of DP group 0), `stage:1` (every
// rank of pipeline stage 1), `expert:3` (the rank of every EP group that hosts expert 3).
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/job/layout.h"

namespace scalelab::job {

class SelectorError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// World ranks, ascending; std::nullopt when `selector` is not a job selector (the runtime's
// rank:/host:/rail: selectors then apply). Throws SelectorError naming what exists.
std::optional<std::vector<int>> job_ranks(const JobSpec& spec, const Layout& layout, const std::string& selector);

}  // namespace scalelab::job
