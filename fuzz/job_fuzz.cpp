// libFuzzer target: the job file parser (emulator/job). A rejection must be a JobError.
#include "emulator/job/job_spec.h"
#include "parse_text.h"

using namespace scalelab::job;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)parse_text<JobError>(data, size, [](const std::string& t) { return parse_job(t, "<fuzz>"); });
  return 0;
}
