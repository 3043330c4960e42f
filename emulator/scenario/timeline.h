#pragma once
// A scenario's steps expanded into the concrete actions the engine performs, in time order:
// a flap becomes its downs and ups, a step with a duration gets its undo, and every link or
// NIC fault is followed by the control plane's reconvergence.
#include <string>
#include <vector>

#include "emulator/scenario/scenario.h"

namespace scalelab::scenario {

struct TimedAction {
  double at_s = 0;
  std::string action;  // a Step action, or "reconverge", "release" (end a straggler)
  const Step* step = nullptr;  // the step it comes from
  bool undo = false;            // generated to end a step with a duration
};

std::vector<TimedAction> expand_timeline(const Scenario& scenario);

}  // namespace scalelab::scenario
