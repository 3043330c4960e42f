#include "emulator/cli/error_report.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>

namespace scalelab::cli {

ErrorReport located_error(const std::string& kind, const std::string& what) {
  ErrorReport e;
  e.kind = kind;
  e.text = what;
  // The file name may itself hold ": ", so the pointer is what marks the split: the first ": "
  // followed by "/", "(top level)" or an empty pointer (": : ").
  for (auto at = what.find(": "); at != std::string::npos; at = what.find(": ", at + 1)) {
    const std::string rest = what.substr(at + 2);
    std::string pointer;
    std::size_t end;
    if (rest.rfind("(top level): ", 0) == 0) {
      end = std::strlen("(top level)");
    } else if (rest.rfind(": ", 0) == 0) {
      end = 0;
    } else if (!rest.empty() && rest[0] == '/' && (end = rest.find(": ")) != std::string::npos) {
      pointer = rest.substr(0, end);
    } else {
      continue;
    }
    e.file = what.substr(0, at);
    e.pointer = pointer;
    e.message = rest.substr(end + 2);
    e.fix = fix_of(e.message);
    return e;
  }
  e.message = what;
  e.fix = fix_of(what);
  return e;
}

std::string fix_of(const std::string& message) {
  if (auto semi = message.find("; "); semi != std::string::npos) return message.substr(semi + 2);
  if (message.rfind("missing: ", 0) == 0) return message.substr(std::strlen("missing: "));
  return "";
}

bool json_errors_requested() {
  const char* v = std::getenv("SCALELAB_ERRORS");
  return v && std::strcmp(v, "json") == 0;
}

std::string error_text(const ErrorReport& e) {
  std::string text = !e.text.empty() ? e.text : e.file.empty() && e.pointer.empty() ? e.message : e.file + ": " + e.pointer + ": " + e.message;
  if (!e.trailer.empty()) text += "\n" + e.trailer;
  return text;
}

std::string error_json(const ErrorReport& e) {
  nlohmann::json j = {{"kind", e.kind}, {"file", e.file}, {"pointer", e.pointer}, {"message", e.message},
                      {"fix", e.fix},   {"text", error_text(e)}, {"status", e.status}};
  // Messages quote file contents: invalid UTF-8 is replaced rather than thrown on.
  return nlohmann::json{{"error", j}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

int print_error(const ErrorReport& e) {
  if (json_errors_requested())
    fmt::print(stderr, "{}\n", error_json(e));
  else
    fmt::print(stderr, "scalelab: {}\n", error_text(e));
  return e.status;
}

}  // namespace scalelab::cli
