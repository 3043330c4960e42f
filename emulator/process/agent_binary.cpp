#include "emulator/process/agent_binary.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "emulator/process/process_group.h"

namespace scalelab::process {

std::string agent_binary() {
  if (const char* env = std::getenv("SCALELAB_AGENT"); env && *env) return env;
  auto dir = std::filesystem::path(self_executable()).parent_path();
  for (auto candidate : {dir / "agents" / "scalelab-agent", dir / "scalelab-agent"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return "scalelab-agent";
}

std::string job_agent_binary() {
  if (const char* env = std::getenv("SCALELAB_JOB_AGENT"); env && *env) return env;
  auto dir = std::filesystem::path(self_executable()).parent_path();
  for (auto candidate : {dir / "agents" / "scalelab-job-agent", dir / "scalelab-job-agent"})
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  return "scalelab-job-agent";
}

}  // namespace scalelab::process
