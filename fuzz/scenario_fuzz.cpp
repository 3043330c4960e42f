// libFuzzer target: the scenario parser (emulator/scenario). A rejection must be a ScenarioError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "emulator/scenario/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (64 << 10)) return -1;
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    (void)scalelab::scenario::parse_scenario(text, "<fuzz>");
  } catch (const scalelab::scenario::ScenarioError&) {
  }
  return 0;
}
