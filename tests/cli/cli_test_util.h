#pragma once
// Runs the built scalelab binary: stdout and stderr apart, the environment given (KEY=VALUE,
// added to this process's own).
#include <string>
#include <vector>

namespace scalelab::cli_tests {

struct Output {
  int status = -1;
  std::string out, err;
};

Output run_cli(const std::vector<std::string>& args, const std::vector<std::string>& env = {});
// A cluster name this process has not used: "pyc-<pid>-<n>".
std::string unique_name();

}  // namespace scalelab::cli_tests
