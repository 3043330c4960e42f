#pragma once
// What a drill leaves in its report directory: events.jsonl (the log), verdict.json, and — from
// the report library — trace.json (Chrome trace) and report.html.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scalelab::scenario {

void write_report_files(const std::string& dir, const std::vector<nlohmann::json>& events, const std::string& name, bool passed);

}  // namespace scalelab::scenario
