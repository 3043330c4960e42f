// ClusterTest's promise checked from outside: a test that fails or throws leaves its cluster's
// status in the output and no cluster behind.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "api_fixture.h"

namespace scalelab::api_tests {
namespace {

struct ProbeRun {
  int status = -1;
  std::string output, cluster;
};

ProbeRun run_probe(const std::string& test) {
  const std::string record = std::filesystem::temp_directory_path() / ("ap-probe-" + std::to_string(getpid()) + "-" + test);
  std::filesystem::remove(record);
  const std::string command = "SCALELAB_PROBE_FILE=" + record + " " + SCALELAB_PROBE_BINARY + " --gtest_filter=ProbeTest." + test + " 2>&1";
  ProbeRun run;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), pipe.get())) run.output.append(buf.data(), n);
  int status = pclose(pipe.release());
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream(record) >> run.cluster;
  std::filesystem::remove(record);
  return run;
}

void expect_reported_and_gone(const ProbeRun& run, const std::string& why) {
  EXPECT_NE(run.status, 0) << run.output;
  ASSERT_FALSE(run.cluster.empty()) << "the probe brought no cluster up:\n" << run.output;
  EXPECT_NE(run.output.find(why), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("[ scalelab ] cluster " + run.cluster + " when the test failed"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("gpu3"), std::string::npos) << "status lists the nodes:\n" << run.output;
  EXPECT_FALSE(std::filesystem::exists("/run/netns/sl-" + run.cluster + "-gpu0")) << run.output;
  EXPECT_FALSE(std::filesystem::exists("/run/scalelab/" + run.cluster)) << run.output;
}

TEST(FixtureTest, FailedAssertionPrintsStatusAndTakesTheClusterDown) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  expect_reported_and_gone(run_probe("FailsAnAssertion"), "failing on purpose");
}

TEST(FixtureTest, ExceptionPrintsStatusAndTakesTheClusterDown) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root";
  expect_reported_and_gone(run_probe("Throws"), "throwing on purpose");
}

}  // namespace
}  // namespace scalelab::api_tests
