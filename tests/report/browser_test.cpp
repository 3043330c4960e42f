// Opens a real report in headless Chromium (Debian's `chromium`) and checks that the chart drew
// every rank's points, then takes a screenshot. Without Chromium the tests skip with the reason,
// except under CI=true, where they fail. Set SCALELAB_KEEP_TEST_OUTPUT=1 to keep the report,
// DOM and screenshot (the path is printed); SCALELAB_CHROMIUM names another browser binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "emulator/scenario/report/chrome_trace.h"
#include "emulator/scenario/report/html_report.h"
#include "tests/report/sample_events.h"

namespace scalelab::report {
namespace {

namespace fs = std::filesystem;

std::optional<fs::path> find_chromium() {
  if (const char* named = std::getenv("SCALELAB_CHROMIUM"); named && *named) return fs::path(named);  // checked by run()
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      fs::path candidate = fs::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string tail(const std::string& text, std::size_t n = 3000) { return text.size() > n ? "…" + text.substr(text.size() - n) : text; }

// Runs argv with stdout/stderr to files; killed after `timeout_s`. Returns the exit status
// (128+signal when killed).
int run(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err, int timeout_s) {
  pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    FILE* o = std::freopen(out.c_str(), "w", stdout);
    FILE* e = std::freopen(err.c_str(), "w", stderr);
    if (!o || !e) ::_exit(126);
    ::setpgid(0, 0);  // its own group, so the browser's helper processes die with it
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(child, child);
  int status = 0;
  for (int waited_ms = 0;; waited_ms += 50) {
    pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (waited_ms >= timeout_s * 1000) {
      ::kill(-child, SIGKILL);
      ::waitpid(child, &status, 0);
      return 128 + SIGKILL;
    }
    ::usleep(50 * 1000);
  }
  // The browser is gone; end any helper it left in its group.
  ::kill(-child, SIGKILL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class BrowserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto chromium = find_chromium();
    if (!chromium) {
      if (in_ci()) FAIL() << "chromium is not installed; CI needs it (scripts/install-deps.sh installs it)";
      GTEST_SKIP() << "chromium is not installed: apt-get install -y chromium (or make deps) to run the browser tests";
    }
    chromium_ = *chromium;
    std::string pattern = (fs::temp_directory_path() / "scalelab-report-browser-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;

    testing::ScopedEnv env(kReportAssetsEnv, std::string(SCALELAB_TEST_REPORT_ASSETS));
    std::ofstream(dir_ / "report.html") << html_report(testing::sample_events(), load_chart_library());
    std::ofstream(dir_ / "trace.json") << chrome_trace(testing::sample_events()).dump(1);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    if (std::getenv("SCALELAB_KEEP_TEST_OUTPUT") || HasFailure()) {
      std::cout << "report test output kept in " << dir_ << "\n";
    } else {
      std::error_code ec;
      fs::remove_all(dir_, ec);
    }
  }

  // Chromium with no network, no first-run work and a fresh profile per run.
  int chromium(const std::string& name, std::vector<std::string> extra, std::string* out_text, std::string* err_text) {
    fs::path profile = dir_ / ("profile-" + name);
    fs::create_directories(profile);
    std::vector<std::string> argv = {chromium_.string(), "--headless=new", "--no-sandbox", "--disable-gpu",
                                     "--disable-quic", "--no-first-run", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", "--user-data-dir=" + profile.string(),
                                     "--virtual-time-budget=5000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back("file://" + (dir_ / "report.html").string());
    int status = run(argv, dir_ / (name + ".out"), dir_ / (name + ".err"), 120);
    *out_text = read_file(dir_ / (name + ".out"));
    *err_text = read_file(dir_ / (name + ".err"));
    return status;
  }

  fs::path chromium_;
  fs::path dir_;
};

TEST_F(BrowserTest, ChartDrawsEveryRanksPoints) {
  std::string dom, err;
  int status = chromium("dom", {"--dump-dom"}, &dom, &err);
  ASSERT_EQ(status, 0) << "chromium failed; stderr:\n" << tail(err);
  ASSERT_NE(dom.find("<body"), std::string::npos) << "no DOM dumped; stderr:\n" << tail(err);
  EXPECT_NE(dom.find("data-chart-ready=\"1\""), std::string::npos) << tail(dom.substr(dom.find("<body")), 600);
  EXPECT_NE(dom.find("chart drawn: 4 datasets, 80 points"), std::string::npos)
      << "status: " << dom.substr(dom.find("id=\"chart-status\""), 200);
}

TEST_F(BrowserTest, ScreenshotIsNotBlank) {
  std::string out, err;
  fs::path png = dir_ / "report.png";
  int status = chromium("shot", {"--window-size=1200,800", "--hide-scrollbars", "--screenshot=" + png.string()}, &out, &err);
  ASSERT_EQ(status, 0) << "chromium failed; stderr:\n" << tail(err);
  ASSERT_TRUE(fs::exists(png)) << "no screenshot; stderr:\n" << tail(err);
  const std::string bytes = read_file(png);
  ASSERT_GE(bytes.size(), 24u);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&](std::size_t at) {
    return (static_cast<unsigned char>(bytes[at]) << 24) | (static_cast<unsigned char>(bytes[at + 1]) << 16) |
           (static_cast<unsigned char>(bytes[at + 2]) << 8) | static_cast<unsigned char>(bytes[at + 3]);
  };
  EXPECT_EQ(be32(16), 1200u);  // IHDR width
  EXPECT_EQ(be32(20), 800u);   // IHDR height
  // A blank or text-only page compresses far below this; a drawn chart does not.
  EXPECT_GT(bytes.size(), 20u * 1024) << "screenshot is only " << bytes.size() << " bytes";
}

}  // namespace
}  // namespace scalelab::report
