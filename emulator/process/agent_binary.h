#pragma once
#include <string>

namespace scalelab::process {

// Where scalelab-agent is: $SCALELAB_AGENT, else beside the scalelab binary (build tree:
// <dir>/agents/scalelab-agent; installed: <dir>/scalelab-agent), else "scalelab-agent" on PATH.
std::string agent_binary();
// scalelab-job-agent the same way ($SCALELAB_JOB_AGENT; beside scalelab-agent).
std::string job_agent_binary();

}  // namespace scalelab::process
