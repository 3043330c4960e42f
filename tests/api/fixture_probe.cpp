// Tests that fail on purpose, run by FixtureTest in a child process: the fixture must print the
// cluster's status and still take it down. They do nothing unless SCALELAB_PROBE_FILE is set.
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "api_fixture.h"

namespace scalelab::api_tests {
namespace {

class ProbeTest : public ApiTest {
 protected:
  void SetUp() override {
    if (!std::getenv("SCALELAB_PROBE_FILE")) GTEST_SKIP() << "run by FixtureTest only";
    ApiTest::SetUp();
  }
  Cluster& recorded_cluster() {
    auto& c = cluster(tiny());
    std::ofstream(std::getenv("SCALELAB_PROBE_FILE")) << c.name() << "\n";
    return c;
  }
};

TEST_F(ProbeTest, FailsAnAssertion) {
  recorded_cluster();
  ASSERT_EQ(1, 2) << "failing on purpose";
}

TEST_F(ProbeTest, Throws) {
  recorded_cluster();
  throw std::runtime_error("throwing on purpose");
}

}  // namespace
}  // namespace scalelab::api_tests
