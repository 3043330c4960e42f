#pragma once
// Internal: one scalelab::Fault applied through runtime::LiveCluster.
#include "emulator/runtime/live_cluster.h"
#include "scalelab/fault.h"

namespace scalelab::api {

// Throws FaultError (bad action, target, figure), Error (kernel refused).
FaultReport apply_fault(runtime::LiveCluster& cluster, const Fault& fault);

}  // namespace scalelab::api
