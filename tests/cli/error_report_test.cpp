// SCALELAB_ERRORS=json: main() prints its error as one JSON object (emulator/cli/error_report.h);
// without it, the text is what it always was.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_test_util.h"
#include "emulator/cli/error_report.h"

using namespace scalelab::cli;
using scalelab::cli_tests::run_cli;

TEST(ErrorReport, SplitsFilePointerAndMessage) {
  auto e = located_error("scenario", "dir: x/s.json: /steps/0/at: expected a duration; write \"2s\"");
  EXPECT_EQ(e.file, "dir: x/s.json");
  EXPECT_EQ(e.pointer, "/steps/0/at");
  EXPECT_EQ(e.message, "expected a duration; write \"2s\"");
  EXPECT_EQ(e.fix, "write \"2s\"");
  EXPECT_EQ(error_text(e), "dir: x/s.json: /steps/0/at: expected a duration; write \"2s\"");
  auto top = located_error("scenario", "s.json: (top level): missing \"steps\"");
  EXPECT_EQ(top.file, "s.json");
  EXPECT_EQ(top.pointer, "");
  EXPECT_EQ(error_text(top), "s.json: (top level): missing \"steps\"");  // the plain text is unchanged
  auto empty = located_error("topology", "t.json: : cannot read the topology file: no such file");
  EXPECT_EQ(empty.file, "t.json");
  EXPECT_EQ(empty.message, "cannot read the topology file: no such file");
  auto plain = located_error("error", "nothing located here: at all");
  EXPECT_EQ(plain.file, "");
  EXPECT_EQ(plain.message, "nothing located here: at all");
}

TEST(ErrorReport, FixIsAfterTheFirstSemicolonOrMissing) {
  EXPECT_EQ(fix_of("unknown key \"a\"; allowed keys are b, c"), "allowed keys are b, c");
  EXPECT_EQ(fix_of("missing: give the job a name"), "give the job a name");
  EXPECT_EQ(fix_of("dilation must be >= 1"), "");
}

TEST(ErrorReport, JsonHasEveryFieldAndSurvivesInvalidUtf8) {
  ErrorReport e{"topology", "t.json", "/name", "bad \xff name", "", "nothing was created.", "", 1};
  auto j = nlohmann::json::parse(error_json(e));
  EXPECT_EQ(j["error"]["kind"], "topology");
  EXPECT_EQ(j["error"]["pointer"], "/name");
  EXPECT_EQ(j["error"]["status"], 1);
  EXPECT_EQ(j["error"]["text"].get<std::string>().substr(0, 15), "t.json: /name: ");
}

TEST(CliJsonErrors, ATopologyErrorIsOneJsonLineWithTheSameText) {
  const std::string bad = ::testing::TempDir() + "cli-bad-topology.json";
  std::ofstream(bad) << R"({"name": "tiny", "cluster": {"hosts": 2, "gpus_per_host": 2, "colour": 1}})";
  auto plain = run_cli({"plan", bad});
  auto json = run_cli({"plan", bad}, {"SCALELAB_ERRORS=json"});
  EXPECT_EQ(plain.status, 1);
  EXPECT_EQ(json.status, 1);
  ASSERT_EQ(json.err.find('\n'), json.err.size() - 1) << json.err;
  auto e = nlohmann::json::parse(json.err)["error"];
  EXPECT_EQ(e["kind"], "topology");
  EXPECT_EQ(e["file"], bad);
  EXPECT_EQ(e["pointer"], "/cluster/colour");
  EXPECT_NE(e["fix"].get<std::string>().find("gpus_per_host"), std::string::npos);
  EXPECT_EQ(plain.err, "scalelab: " + e["text"].get<std::string>() + "\n");
  EXPECT_NE(plain.err.find("\nnothing was created.\n"), std::string::npos);
}

TEST(CliJsonErrors, UsageAndUnknownClustersHaveTheirKinds) {
  auto usage = run_cli({"bench"}, {"SCALELAB_ERRORS=json"});
  EXPECT_NE(usage.status, 0);
  EXPECT_EQ(nlohmann::json::parse(usage.err)["error"]["kind"], "usage");
  auto missing = run_cli({"status", "pyc-no-such-cluster"}, {"SCALELAB_ERRORS=json"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(nlohmann::json::parse(missing.err)["error"]["kind"], "not_found");
  // --help and --version are not errors.
  auto help = run_cli({"--version"}, {"SCALELAB_ERRORS=json"});
  EXPECT_EQ(help.status, 0);
  EXPECT_EQ(help.err, "");
}
