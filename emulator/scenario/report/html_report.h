#pragma once
// A drill's report as ONE self-contained HTML file: no network at all (a CSP forbids it), the
// charting library inlined. It shows the scenario, a line chart of bus bandwidth per rank over
// scenario time (one point per completed iteration, at its end) with faults as labelled
// vertical markers and reroutes/agent errors/rank exits marked too, the verdicts, the faults
// with their lateness, the agent errors and rank exits, and per-rank numbers.
//
// Once the chart has drawn, the page sets <body data-chart-ready="1"> and
// <div id="chart-status"> reads "chart drawn: N datasets, M points" (N = ranks, M = points
// drawn); if it cannot draw, the status reads "chart failed: <why>" and data-chart-ready="0".
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::report {

// `chart_library_js` is Chart.js 4's dist/chart.umd.js (as load_chart_library() returns it).
// Every text taken from the events is escaped.
std::string html_report(const std::vector<nlohmann::json>& events, const std::string& chart_library_js);

// The file the report inlines, and where it is looked for, in order:
//   $SCALELAB_REPORT_ASSETS/chart.umd.js    (when that variable is set: only there)
//   <dir of /proc/self/exe>/report-assets/chart.umd.js
//   <dir of /proc/self/exe>/../report-assets/chart.umd.js
//   <dir of /proc/self/exe>/../share/scalelab/report-assets/chart.umd.js   (installed: the .deb)
// The build (`make build`) runs `npm ci` in report-assets/ and copies the file to
// build/report-assets/, next to build/scalelab.
inline constexpr const char* kChartLibraryFile = "chart.umd.js";
inline constexpr const char* kReportAssetsEnv = "SCALELAB_REPORT_ASSETS";
std::vector<std::filesystem::path> chart_library_candidates();
// The first candidate's text; throws std::runtime_error naming every place it looked and the fix.
std::string load_chart_library();

// &, <, >, " and ' as entities: safe in element text and in quoted attributes.
std::string html_escape(std::string_view text);
// JSON that is safe inside <script> (no "<", ">", "&" or U+2028/9 left raw).
std::string json_for_script(const nlohmann::json& value);

}  // namespace scalelab::report
