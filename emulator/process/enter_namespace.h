#pragma once
// Moves the calling process into a node's network namespace the way `ip netns exec` does: a
// private mount namespace with /sys remounted, so sysfs (and rxe GIDs under
// /sys/class/infiniband) shows the node's own interfaces. Call it in a child before exec.
#include <string>
#include <vector>

namespace scalelab::process {

// Returns an error message, or empty on success. Async-signal-safe enough for a forked child
// (no allocation after the open of the namespace file).
std::string enter_node_namespace(const std::string& netns_name);

// Replaces this process with argv inside the namespace. Returns only on failure (message).
std::string exec_in_namespace(const std::string& netns_name, const std::vector<std::string>& argv);

}  // namespace scalelab::process
