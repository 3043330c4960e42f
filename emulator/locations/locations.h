#pragma once
// Where scalelab keeps what outlives one command: named network namespaces, the clusters'
// records and the measured machine capacity. Run as root these are the system places
// (/run/netns, as `ip netns` uses; /run/scalelab; /var/lib/scalelab). A rootless run keeps
// all of them under one directory the caller owns, so nothing is written outside it.
#include <string>

namespace scalelab::locations {

const std::string& netns_dir();      // /run/netns, or <base>/netns
const std::string& state_root();     // /run/scalelab, or <base>/clusters
const std::string& capacity_file();  // /var/lib/scalelab/capacity.json, or <base>/capacity.json
bool rootless();

// Switches every location under `base` for the rest of the process. Call before any thread
// starts (the locations are read without locks).
void use_rootless_base(const std::string& base);

// $XDG_RUNTIME_DIR/scalelab when XDG_RUNTIME_DIR is set, else /tmp/scalelab-<uid>.
std::string default_rootless_base();

}  // namespace scalelab::locations
