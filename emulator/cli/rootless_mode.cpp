#include "emulator/cli/rootless_mode.h"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "emulator/locations/locations.h"
#include "emulator/runtime/neighbour_limits.h"

namespace scalelab::cli {
namespace {

RootlessMode* g_current = nullptr;

// Every verb that touches clusters works inside the session, starting one when there is none
// (a few milliseconds); the destructor ends it again when it is left idle.
const std::set<std::string> kInSession = {"up",   "job",   "run-scenario", "doctor", "down", "clean",
                                          "status", "exec", "run",          "bench",  "inject"};

}  // namespace

bool rootless_requested(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) break;
    if (std::strcmp(argv[i], "--rootless") == 0) return true;
  }
  const char* env = std::getenv("SCALELAB_ROOTLESS");
  return env && std::strcmp(env, "1") == 0;
}

std::string verb_of(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] != '-') return argv[i];
  return "";
}

std::unique_ptr<RootlessMode> RootlessMode::from_command_line(int argc, char** argv) {
  if (!rootless_requested(argc, argv)) return nullptr;
  const std::string verb = verb_of(argc, argv);
  if (!kInSession.count(verb)) return nullptr;  // plan, model, graph, vm: nothing to join
  const std::string base = locations::default_rootless_base();
  locations::use_rootless_base(base);
  std::unique_ptr<RootlessMode> mode(new RootlessMode(base));
  std::vector<std::string> notes;
  runtime::remember_host_neighbour_limits();
  for (int attempt = 0;; ++attempt) {
    mode->holder_ = mode->session_.ensure_holder(&notes);
    try {
      mode->session_.join(*mode->holder_);
      break;
    } catch (const rootless::RootlessError&) {
      // The holder died between the look and the join (killed a moment ago): the next look
      // sees it dead, tidies up after it and starts another.
      if (attempt >= 3) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  for (const auto& n : notes) fmt::print(stderr, "scalelab: {}\n", n);
  g_current = mode.get();
  return mode;
}

RootlessMode* RootlessMode::current() { return g_current; }

RootlessMode::~RootlessMode() {
  g_current = nullptr;
  try {
    if (holder_) session_.release_if_idle();
  } catch (const std::exception&) {
    // The holder is idle either way; the next command's ensure/reap tidies up.
  }
}

int RootlessMode::end_session() {
  if (!holder_) return 0;
  int stopped = static_cast<int>(session_.end(*holder_).size());
  holder_.reset();
  return stopped;
}

}  // namespace scalelab::cli
