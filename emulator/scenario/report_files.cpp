#include "emulator/scenario/report_files.h"

#include <fstream>

#include "emulator/scenario/report/chrome_trace.h"
#include "emulator/scenario/report/html_report.h"

namespace scalelab::scenario {

void write_report_files(const std::string& dir, const std::vector<nlohmann::json>& events, const std::string& name, bool passed) {
  {
    std::ofstream out(dir + "/events.jsonl");
    for (const auto& e : events) out << e.dump() << "\n";
  }
  nlohmann::json verdicts = nlohmann::json::array();
  for (const auto& e : events)
    if (e.value("type", "") == "verdict") verdicts.push_back(e);
  std::ofstream(dir + "/verdict.json") << nlohmann::json{{"scenario", name}, {"passed", passed}, {"verdicts", verdicts}}.dump(2) << "\n";
  std::ofstream(dir + "/trace.json") << report::chrome_trace(events).dump() << "\n";
  std::ofstream(dir + "/report.html") << report::html_report(events, report::load_chart_library());
}

}  // namespace scalelab::scenario
