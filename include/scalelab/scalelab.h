#pragma once
// The scalelab C++ API: bring an emulated GPU cluster up, run on it, break it, read it back.
#include "scalelab/bench.h"
#include "scalelab/cluster.h"
#include "scalelab/errors.h"
#include "scalelab/fault.h"
#include "scalelab/job.h"
#include "scalelab/rootless.h"
