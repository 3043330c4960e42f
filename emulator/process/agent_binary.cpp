#include "emulator/process/agent_binary.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "emulator/process/process_group.h"

namespace scalelab::process {

namespace {

// $env, else beside this executable (build tree: <dir>/agents/<name>; installed: <dir>/<name>),
// else <name> on PATH.
std::string sibling_binary(const char* env_name, const std::string& name) {
  if (const char* env = std::getenv(env_name); env && *env) return env;
  auto dir = std::filesystem::path(self_executable()).parent_path();
  for (auto candidate : {dir / "agents" / name, dir / name})
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return name;
}

}  // namespace

std::string agent_binary() { return sibling_binary("SCALELAB_AGENT", "scalelab-agent"); }
std::string job_agent_binary() { return sibling_binary("SCALELAB_JOB_AGENT", "scalelab-job-agent"); }

}  // namespace scalelab::process
