#pragma once
// `scalelab vm`: boot a capable Debian kernel under qemu with the host's root shared read-only
// (tmpfs overlay on top) and the project tree writable, run a command inside as root in the same
// working directory, stream its stdout/stderr, and return its exit status.
#include <filesystem>
#include <string>
#include <vector>

namespace scalelab::vm {

struct VmOptions {
  std::string kernel = "auto";             // auto | VERSION | path to a .deb
  int cpus = 0;                            // 0: min(2, host CPUs)
  int mem_mb = 2048;
  std::vector<std::filesystem::path> shares;  // extra host directories, writable at the same path
  bool share_project = true;               // the project tree (git top level of cwd, else cwd)
  std::vector<std::string> command;
  std::string accel = "auto";              // auto | kvm | tcg
  std::vector<std::string> modules;        // modprobe'd in addition to the defaults
  int timeout_s = 0;                       // 0: none
  bool refresh = false;                    // re-resolve "auto" and refresh apt indexes now
  bool fetch_only = false;                 // resolve and cache the kernel; print its manifest
  bool keep = false;                       // keep the run directory (scripts, console log)
  bool quiet = false;                      // no progress lines on stderr
  std::filesystem::path cache_root;        // empty: default_cache_root()
};

// Exit statuses besides the command's own.
inline constexpr int kStatusTimeout = 124;
inline constexpr int kStatusVmFailure = 125;

// Returns the command's exit status (or one of the above; 128+N when interrupted by signal N).
// Throws std::runtime_error for errors before the VM starts (no kernel, bad options).
int run_vm(const VmOptions& options);

// The directory shared writable by default: the nearest ancestor of `cwd` holding .git, else cwd.
std::filesystem::path project_tree(const std::filesystem::path& cwd);

}  // namespace scalelab::vm
