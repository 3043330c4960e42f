#pragma once
// `inject`'s arguments, shared by `inject` (here or across machines) and `shard inject` (one
// machine's part), so both take exactly the same command line.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scalelab/fault.h"

namespace CLI {
class App;
}

namespace scalelab::cli {

struct InjectArgs {
  std::string cluster, action, target, rate, delay, jitter, loss, converge_after = "0us";
  bool json = false;
  std::vector<std::string> as_arguments() const;  // the command line again, without --json
};

std::shared_ptr<InjectArgs> add_inject_arguments(CLI::App* cmd);
void inject_here(const InjectArgs& args);  // prints the report (JSON with --json)
void print_fault_report(const std::string& action, const FaultReport& report);
// What `inject --json` prints; `shard inject --json` prints it for its machine's part.
nlohmann::json fault_report_json(const InjectArgs& args, const FaultReport& report);

}  // namespace scalelab::cli
