#pragma once
// How main() ends with an error: "scalelab: TEXT" on stderr, or — with SCALELAB_ERRORS=json in the
// environment — one JSON object on one line, for programs that drive the CLI (python/scalelab):
//   {"error":{"kind":"topology","file":"t.json","pointer":"/cluster/hosts","message":"…","fix":"…",
//             "text":"<what the plain form prints>","status":1}}
#include <string>

namespace scalelab::cli {

struct ErrorReport {
  // topology job scenario (a file rejected), usage (flags), cluster_exists not_found not_permitted
  // fault bring_up launch, bench run scenario_run (a workload failed), error (anything else)
  std::string kind = "error";
  std::string file, pointer;   // for errors in a file: the file and the JSON pointer ("" = the whole file)
  std::string message;         // what is wrong (without file and pointer)
  std::string fix;             // the remedy the message names, when it names one
  std::string trailer;         // "nothing was created." and the like, on a line of its own
  std::string text;            // the plain form as the error's own what() has it ("" = built from the parts)
  int status = 1;              // the exit status
};

// "file: /pointer: message" (or "file: (top level): message", "file: : message") split into its
// parts; a text of another shape becomes the message alone.
ErrorReport located_error(const std::string& kind, const std::string& what);
// The remedy inside a message: what follows the first "; " ("unknown key \"x\"; expected one
// of: …"), or what follows "missing: ". Empty when the message names none.
std::string fix_of(const std::string& message);

bool json_errors_requested();                  // SCALELAB_ERRORS=json
std::string error_text(const ErrorReport& e);  // the plain form, without "scalelab: "
std::string error_json(const ErrorReport& e);  // the JSON form, one line
int print_error(const ErrorReport& e);         // prints the form asked for; returns e.status

}  // namespace scalelab::cli
