#pragma once
// The cut as `scalelab plan FILE --machines N` prints it: a table per machine, and JSON.
#include <nlohmann/json.hpp>
#include <string>

#include "emulator/plan/plan.h"
#include "emulator/shard/partition.h"

namespace scalelab::shard {

std::string partition_to_text(const plan::Plan& plan, const Partition& p, bool verbose);
nlohmann::json partition_to_json(const plan::Plan& plan, const Partition& p);

}  // namespace scalelab::shard
