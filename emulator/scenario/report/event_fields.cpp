#include "emulator/scenario/report/event_fields.h"

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace scalelab::report {

std::vector<nlohmann::json> parse_event_log(std::istream& in, const std::string& source) {
  std::vector<nlohmann::json> events;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json event;
    try {
      event = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw std::runtime_error(fmt::format("{}:{}: not JSON: {}", source, number, e.what()));
    }
    if (!event.is_object()) throw std::runtime_error(fmt::format("{}:{}: expected a JSON object per line", source, number));
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<nlohmann::json> read_event_log(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("cannot open event log {}", path.string()));
  return parse_event_log(in, path.string());
}

std::optional<double> number_field(const nlohmann::json& event, const char* key) {
  if (!event.is_object()) return std::nullopt;
  auto it = event.find(key);
  if (it == event.end() || !it->is_number()) return std::nullopt;
  double value = it->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long long> integer_field(const nlohmann::json& event, const char* key) {
  if (!event.is_object()) return std::nullopt;
  auto it = event.find(key);
  if (it == event.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<long long>();
  if (it->is_number_float()) {
    double value = it->get<double>();
    if (std::isfinite(value) && std::floor(value) == value && std::fabs(value) < 9e15) return static_cast<long long>(value);
  }
  return std::nullopt;
}

std::string string_field(const nlohmann::json& event, const char* key, const std::string& fallback) {
  if (!event.is_object()) return fallback;
  auto it = event.find(key);
  if (it == event.end() || !it->is_string()) return fallback;
  return it->get<std::string>();
}

std::string field_text(const nlohmann::json& event, const char* key) {
  if (!event.is_object()) return "";
  auto it = event.find(key);
  if (it == event.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string event_type(const nlohmann::json& event) { return string_field(event, "type"); }

}  // namespace scalelab::report
