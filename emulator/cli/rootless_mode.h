#pragma once
// `--rootless` (or SCALELAB_ROOTLESS=1): the command works in the caller's rootless session
// (rootless/session.h) instead of on the host as root. Decided before CLI11 parses the command
// line, because only a process that is still single-threaded may join a user namespace.
#include <memory>
#include <optional>
#include <string>

#include "emulator/rootless/session.h"

namespace scalelab::cli {

class RootlessMode {
 public:
  // nullptr when the command line does not ask for rootless. Joins (or starts) the session as
  // the verb needs; prints on stderr what it had to clean up after a dead session.
  static std::unique_ptr<RootlessMode> from_command_line(int argc, char** argv);
  static RootlessMode* current();  // the process's mode, or nullptr
  // Ends the session when it has become idle (no cluster left, no other command in it).
  ~RootlessMode();

  rootless::Session& session() { return session_; }
  const std::optional<rootless::Holder>& holder() const { return holder_; }
  // `clean`: after the clusters are gone, end the holder and whatever still runs in it.
  int end_session();

 private:
  explicit RootlessMode(std::string base) : session_(std::move(base)) {}
  rootless::Session session_;
  std::optional<rootless::Holder> holder_;
};

// Whether argv asks for rootless: a `--rootless` before any `--`, or SCALELAB_ROOTLESS=1.
bool rootless_requested(int argc, char** argv);
// The verb: the first argument that is not an option ("" when none).
std::string verb_of(int argc, char** argv);

}  // namespace scalelab::cli
