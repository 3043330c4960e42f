#include "emulator/locations/locations.h"

#include <unistd.h>

#include <cstdlib>

namespace scalelab::locations {
namespace {

struct Locations {
  std::string netns = "/run/netns";
  std::string state = "/run/scalelab";
  std::string capacity = "/var/lib/scalelab/capacity.json";
  bool rootless = false;
};

Locations& current() {
  static Locations l;
  return l;
}

}  // namespace

const std::string& netns_dir() { return current().netns; }
const std::string& state_root() { return current().state; }
const std::string& capacity_file() { return current().capacity; }
bool rootless() { return current().rootless; }

void use_rootless_base(const std::string& base) {
  current() = {base + "/netns", base + "/clusters", base + "/capacity.json", true};
}

std::string default_rootless_base() {
  const char* xdg = std::getenv("XDG_RUNTIME_DIR");
  if (xdg && *xdg) return std::string(xdg) + "/scalelab";
  return "/tmp/scalelab-" + std::to_string(getuid());
}

}  // namespace scalelab::locations
