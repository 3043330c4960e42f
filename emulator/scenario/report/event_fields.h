#pragma once
// Reading a drill's events.jsonl and picking fields out of its events without trusting them:
// a report must still come out when an event lacks a field or has one of the wrong type.
#include <filesystem>
#include <istream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace scalelab::report {

// One JSON object per line; blank lines are skipped. Throws std::runtime_error naming
// `source` and the line number for a line that is not a JSON object.
std::vector<nlohmann::json> parse_event_log(std::istream& in, const std::string& source = "events.jsonl");
// Reads the file; throws std::runtime_error when it cannot be opened or parsed.
std::vector<nlohmann::json> read_event_log(const std::filesystem::path& path);

// The field as a finite number, if it is one.
std::optional<double> number_field(const nlohmann::json& event, const char* key);
// The field as an integer (a number with no fraction), if it is one.
std::optional<long long> integer_field(const nlohmann::json& event, const char* key);
// The field if it is a string, else `fallback`.
std::string string_field(const nlohmann::json& event, const char* key, const std::string& fallback = "");
// Any field as display text: strings as they are, numbers as JSON writes them, true/false,
// objects and arrays as compact JSON; "" when absent.
std::string field_text(const nlohmann::json& event, const char* key);
// event["type"] when it is a string, else "".
std::string event_type(const nlohmann::json& event);

}  // namespace scalelab::report
