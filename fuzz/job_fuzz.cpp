// libFuzzer target: the job file parser (emulator/job). A rejection must be a JobError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/job/job_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)scalelab::job::parse_job(text, "<fuzz>");
  } catch (const scalelab::job::JobError&) {
  }
  return 0;
}
