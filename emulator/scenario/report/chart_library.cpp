#include <cstdlib>
#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "emulator/scenario/report/html_report.h"

namespace scalelab::report {

std::vector<std::filesystem::path> chart_library_candidates() {
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv(kReportAssetsEnv); dir && *dir) return {fs::path(dir) / kChartLibraryFile};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  fs::path dir = exe.parent_path();
  return {dir / "report-assets" / kChartLibraryFile, (dir.parent_path() / "report-assets" / kChartLibraryFile).lexically_normal(),
          (dir.parent_path() / "share/scalelab/report-assets" / kChartLibraryFile).lexically_normal()};
}

std::string load_chart_library() {
  auto candidates = chart_library_candidates();
  std::string looked;
  for (const auto& path : candidates) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      std::ostringstream text;
      text << in.rdbuf();
      if (!text.str().empty()) return text.str();
    }
    looked += (looked.empty() ? "" : ", ") + path.string();
  }
  const char* env = std::getenv(kReportAssetsEnv);
  throw std::runtime_error(fmt::format(
      "the HTML report's chart library ({}) was not found; looked in: {}{}. Fix: run `make build` (it installs the "
      "library with npm ci in report-assets/ and copies it to build/report-assets/), or set {} to a folder that holds {}",
      kChartLibraryFile, looked.empty() ? "(nowhere: /proc/self/exe unreadable)" : looked,
      env && *env ? fmt::format(" (from {})", kReportAssetsEnv) : "", kReportAssetsEnv, kChartLibraryFile));
}

}  // namespace scalelab::report
