// check_scenario: the topology and every target checked with no root and no kernel probe.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "emulator/scenario/engine.h"
#include "emulator/scenario/scenario.h"

namespace scalelab::scenario {
namespace {

const std::string kSource = SCALELAB_SOURCE_DIR;

TEST(CheckScenario, AcceptsEveryShippedDrillWhateverThisKernelLacks) {
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kSource + "/scenarios")) {
    if (entry.path().extension() != ".json") continue;
    EXPECT_NO_THROW(check_scenario(load_scenario(entry.path().string()))) << entry.path();
  }
}

TEST(CheckScenario, NamesTheStepWhoseTargetIsNotInTheTopology) {
  const auto file = std::filesystem::temp_directory_path() / ("check-scenario-" + std::to_string(::getpid()) + ".json");
  std::ofstream(file) << R"({"name": "bad-target", "topology": ")" << kSource << R"(/topologies/tiny.json",
    "workload": {"collective": "all_reduce", "size": "1M", "duration": "8s"},
    "steps": [{"at": "5s", "action": "link_down", "target": "gpu9:nic0"}],
    "expect": [{"completes": {"within": "10s"}}]})";
  try {
    check_scenario(load_scenario(file.string()));
    ADD_FAILURE() << "a link of gpu9, which tiny lacks, was accepted";
  } catch (const ScenarioError& e) {
    EXPECT_NE(std::string(e.what()).find("/steps/0/target"), std::string::npos) << e.what();
  }
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace scalelab::scenario
