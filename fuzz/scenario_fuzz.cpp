// libFuzzer target: the scenario parser (emulator/scenario). A rejection must be a ScenarioError.
#include "emulator/scenario/scenario.h"
#include "parse_text.h"

using namespace scalelab::scenario;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)parse_text<ScenarioError>(data, size, [](const std::string& t) { return parse_scenario(t, "<fuzz>"); });
  return 0;
}
