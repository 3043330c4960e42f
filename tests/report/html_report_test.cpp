#include "emulator/scenario/report/html_report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "tests/report/sample_events.h"

namespace scalelab::report {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kFakeLibrary = "/*! FAKE-CHART-LIBRARY */ window.Chart = undefined;";

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

// The pinned library as the build copied it.
std::string real_library() {
  testing::ScopedEnv env(kReportAssetsEnv, std::string(SCALELAB_TEST_REPORT_ASSETS));
  return load_chart_library();
}

std::vector<json> hostile_events() {
  auto events = testing::sample_events();
  events[0]["name"] = "<script>alert('name')</script> & \"co\"";
  events[0]["cluster"] = "<b>tiny</b>";
  for (auto& e : events) {
    if (e["type"] == "fault") e["target"] = "\"><img src=x onerror=alert(1)>";
    if (e["type"] == "verdict") e["measured"] = "</table><script>alert(2)</script>";
    if (e["type"] == "agent_error") e["cause"] = "<!-- <script>";
  }
  return events;
}

TEST(HtmlEscape, Entities) {
  EXPECT_EQ(html_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(html_escape("plain µs"), "plain µs");
}

TEST(JsonForScript, NothingThatEndsAScript) {
  json value = {{"s", "</script><!-- & \xE2\x80\xA8"}};
  auto text = json_for_script(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  EXPECT_EQ(text.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(json::parse(text), value);  // still the same JSON
}

TEST(HtmlReport, EscapesEverythingFromTheEvents) {
  auto html = html_report(hostile_events(), kFakeLibrary);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<b>tiny</b>"), std::string::npos);
  EXPECT_EQ(html.find("</table><script>"), std::string::npos);
  EXPECT_EQ(html.find("<!--"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt; &amp; &quot;co&quot;"), std::string::npos);
  EXPECT_NE(html.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;tiny&lt;/b&gt;"), std::string::npos);
  // Exactly our three scripts: the data, the library, the chart code.
  EXPECT_EQ(count(html, "<script"), 3u);
  EXPECT_EQ(count(html, "</script>"), 3u);
}

TEST(HtmlReport, ShowsScenarioVerdictsAndFaults) {
  auto html = html_report(testing::sample_events(), kFakeLibrary);
  EXPECT_NE(html.find("<title>scalelab report: rail-flap-during-allreduce</title>"), std::string::npos);
  EXPECT_NE(html.find("cluster <b>tiny</b>"), std::string::npos);
  EXPECT_NE(html.find("<b>all_reduce</b> of 16 MiB"), std::string::npos);
  EXPECT_NE(html.find("FAILED 1/2"), std::string::npos);
  // Verdict rows: pass/fail, measured, required.
  EXPECT_NE(html.find("<td><code>error_detected</code></td><td><span class=\"badge pass\">PASS</span></td>"
                      "<td>all 4 ranks within 2.1 s</td><td>all ranks within 3 s</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td><code>busbw_recovers</code></td><td><span class=\"badge fail\">FAIL</span></td>"), std::string::npos);
  // Fault rows with scheduled, applied and lateness.
  EXPECT_NE(html.find("<td><code>link_down</code></td><td><code>rail1:host1</code></td><td>gpu3-leaf1</td>"
                      "<td class=\"num\">3.000</td><td class=\"num\">3.002</td><td class=\"num\">2.1</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">4.1</td>"), std::string::npos);
  EXPECT_NE(html.find("timeout after 2000 ms"), std::string::npos);
  // The hooks the browser test reads, before any script ran.
  EXPECT_NE(html.find("<body data-chart-ready=\"0\">"), std::string::npos);
  EXPECT_NE(html.find("<div id=\"chart-status\">"), std::string::npos);
}

TEST(HtmlReport, ChartDataHasOneSeriesPerRankAndTheFaults) {
  auto html = html_report(testing::sample_events(), kFakeLibrary);
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  auto from = html.find(open);
  ASSERT_NE(from, std::string::npos);
  from += open.size();
  auto data = json::parse(html.substr(from, html.find("</script>", from) - from));
  ASSERT_EQ(data["ranks"].size(), 4u);
  for (int r = 0; r < 4; ++r) {
    EXPECT_EQ(data["ranks"][r]["rank"], r);
    ASSERT_EQ(data["ranks"][r]["points"].size(), 20u);
    // Points at each iteration's end, in time order.
    double last = -1;
    for (const auto& p : data["ranks"][r]["points"]) {
      EXPECT_GT(p["x"].get<double>(), last);
      last = p["x"];
    }
  }
  ASSERT_EQ(data["faults"].size(), 2u);
  EXPECT_EQ(data["faults"][0]["label"], "#0 link_down rail1:host1");
  EXPECT_EQ(data["faults"][0]["t"], 3.002);
  EXPECT_EQ(data["reroutes"].size(), 1u);
  EXPECT_EQ(data["rankEvents"].size(), 1u);
}

TEST(HtmlReport, MarksFailedExitsButOnlyListsCleanOnes) {
  auto events = testing::sample_events();
  events.push_back({{"t", 9.5}, {"type", "rank_exit"}, {"rank", 0}, {"status", 0}});
  events.push_back({{"t", 9.55}, {"type", "rank_exit"}, {"rank", 2}, {"status", 3}});
  auto html = html_report(events, kFakeLibrary);
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  auto from = html.find(open) + open.size();
  auto data = json::parse(html.substr(from, html.find("</script>", from) - from));
  // The agent error and rank 2's exit 3 are marked; rank 0's clean exit is not.
  ASSERT_EQ(data["rankEvents"].size(), 2u);
  EXPECT_EQ(data["rankEvents"][1]["rank"], 2);
  EXPECT_EQ(data["rankEvents"][1]["type"], "rank_exit");
  // The table still lists all three.
  EXPECT_NE(html.find("exit status 0"), std::string::npos);
  EXPECT_NE(html.find("exit status 3"), std::string::npos);
}

TEST(HtmlReport, InlinesTheLibraryAndLoadsNothing) {
  const std::string library = real_library();
  ASSERT_NE(library.find("Chart.js v4."), std::string::npos);
  auto html = html_report(testing::sample_events(), library);
  auto at = html.find(library);
  ASSERT_NE(at, std::string::npos) << "the library is not inlined verbatim";
  EXPECT_EQ(html.compare(at - 9, 9, "<script>\n"), 0) << "the library is not inside a <script>";
  EXPECT_NE(html.find("chart drawn with Chart.js v4."), std::string::npos);
  const std::regex fetching(R"(<(script|img|iframe|link|audio|video|source)\b[^>]*\b(src|href)\s*=)", std::regex::icase);
  EXPECT_FALSE(std::regex_search(html, fetching));
  // Beyond the library's own banner (its home page named in a comment), no URL at all.
  std::string rest = html.substr(0, at) + html.substr(at + library.size());
  EXPECT_EQ(rest.find("://"), std::string::npos);
  EXPECT_EQ(rest.find("//cdn"), std::string::npos);
  EXPECT_NE(html.find("Content-Security-Policy\" content=\"default-src 'none';"), std::string::npos);
}

TEST(HtmlReport, LibraryTextCannotCloseItsScript) {
  const std::string library = "var a = '</script><script>alert(1)</script>'; /* <!-- x */";
  auto html = html_report(testing::sample_events(), library);
  EXPECT_EQ(count(html, "</script>"), 3u);
  EXPECT_NE(html.find(R"(var a = '\x3C/script><script>alert(1)\x3C/script>'; /* \x3C!-- x */)"), std::string::npos);
}

TEST(HtmlReport, EmptyLogStillMakesAPage) {
  auto html = html_report({}, kFakeLibrary);
  EXPECT_NE(html.find("No expectation was judged."), std::string::npos);
  EXPECT_NE(html.find("No fault was injected."), std::string::npos);
  EXPECT_NE(html.find("NO VERDICT"), std::string::npos);
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "scalelab-report-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(LoadChartLibrary, FromTheEnvironmentFolder) {
  TempDir dir;
  std::ofstream(dir.path() / kChartLibraryFile) << kFakeLibrary;
  testing::ScopedEnv env(kReportAssetsEnv, dir.path().string());
  EXPECT_EQ(load_chart_library(), kFakeLibrary);
}

TEST(LoadChartLibrary, MissingNamesWhereItLookedAndTheFix) {
  TempDir dir;
  testing::ScopedEnv env(kReportAssetsEnv, (dir.path() / "nothing-here").string());
  try {
    load_chart_library();
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find((dir.path() / "nothing-here" / kChartLibraryFile).string()), std::string::npos) << what;
    EXPECT_NE(what.find("make build"), std::string::npos) << what;
    EXPECT_NE(what.find(kReportAssetsEnv), std::string::npos) << what;
  }
}

TEST(LoadChartLibrary, WithoutTheEnvironmentLooksBesideTheExecutable) {
  testing::ScopedEnv env(kReportAssetsEnv, std::nullopt);
  const fs::path exe_dir = fs::read_symlink("/proc/self/exe").parent_path();
  auto candidates = chart_library_candidates();
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_EQ(candidates[0], exe_dir / "report-assets" / kChartLibraryFile);
  EXPECT_EQ(candidates[1], (exe_dir.parent_path() / "report-assets" / kChartLibraryFile).lexically_normal());
  // Installed (the .deb): /usr/bin/scalelab reads /usr/share/scalelab/report-assets/.
  EXPECT_EQ(candidates[2], (exe_dir.parent_path() / "share/scalelab/report-assets" / kChartLibraryFile).lexically_normal());
  // build/tests/report/report_tests has none of them (the build copies to build/report-assets/).
  if (!fs::exists(candidates[0]) && !fs::exists(candidates[1]) && !fs::exists(candidates[2])) {
    try {
      load_chart_library();
      FAIL() << "expected an error";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(candidates[1].string()), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace scalelab::report
