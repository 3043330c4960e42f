#pragma once
// What this kernel can do for scalelab, found by trying each feature in a throwaway namespace
// (a config file can lie or be absent; a real attempt cannot).
#include <string>
#include <vector>

namespace scalelab::nl {

struct Capability {
  std::string name;    // "netns", "veth", "bridge", "htb", "netem", "rxe-in-netns", …
  bool available = false;
  std::string detail;  // the reason when missing, or what was found
  bool required = true;  // up refuses to run without a required one
};

struct KernelCapabilities {
  std::string kernel_release;
  std::vector<Capability> items;
  const Capability* find(const std::string& name) const;
  bool has(const std::string& name) const;
};

// Needs root. Leaves nothing behind: the scratch namespace dies with its last reference.
KernelCapabilities probe_kernel_capabilities();

// "7.2.13-amd64" → true when >= major.minor.
bool kernel_at_least(const std::string& release, int major, int minor);

}  // namespace scalelab::nl
