#include "scalelab/rootless.h"

#include <cstdlib>
#include <memory>

#include "emulator/locations/locations.h"
#include "emulator/rootless/session.h"
#include "emulator/runtime/neighbour_limits.h"
#include "scalelab/errors.h"

namespace scalelab {
namespace {

std::unique_ptr<rootless::Session>& session() {
  static std::unique_ptr<rootless::Session> s;
  return s;
}
RootlessSessionInfo& info() {
  static RootlessSessionInfo i;
  return i;
}

}  // namespace

RootlessSessionInfo enter_rootless_session() {
  if (session()) return info();
  try {
    const std::string base = locations::default_rootless_base();
    auto s = std::make_unique<rootless::Session>(base);
    auto holder = s->ensure_holder(nullptr);
    runtime::remember_host_neighbour_limits();
    s->join(holder);
    locations::use_rootless_base(base);
    info() = {holder.pid, base};
    session() = std::move(s);
    std::atexit([] {
      try {
        session()->release_if_idle();
      } catch (const std::exception&) {
        // The next rootless command tidies an idle holder up.
      }
    });
  } catch (const rootless::RootlessError& e) {
    throw NotPermitted(std::string("rootless session: ") + e.what());
  }
  return info();
}

bool in_rootless_session() { return session() != nullptr; }

}  // namespace scalelab
