#pragma once
// The per-run scripts the guest executes, written into the run's results share:
//   stage1.sh (initramfs busybox): host root over 9p read-only + tmpfs overlay, the kernel's
//             modules, proc/sys/dev/run/tmp, the writable shares; then switch_root.
//   guest.sh  (the host's /bin/sh, now the guest's root): output to the virtio-serial ports,
//             modprobe, environment, cd, run the command, write its exit status, power off.
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scalelab::vm {

// A host directory shared writable at the same path inside the guest.
struct Share {
  std::filesystem::path path;
  std::string tag;  // 9p mount tag
};

struct GuestPlan {
  std::string abi;                       // uname -r of the guest kernel
  std::filesystem::path modules_dir;     // host path of the kernel's lib/modules/<abi> (in the cache)
  std::vector<Share> shares;
  std::vector<std::string> modules;      // modprobe'd before the command (the defaults are already
                                         // loaded by the initramfs)
  std::filesystem::path cwd;             // where the command runs
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string hostname = "scalelab-vm";
};

// Modules loaded in every guest before the command (by the initramfs): what the emulator uses.
const std::vector<std::string>& default_guest_modules();

// 'single-quoted' for sh.
std::string shell_quote(std::string_view s);

// The environment handed to the command: the caller's, less what names host-only sockets and
// sessions; PATH gains the sbin directories.
std::vector<std::pair<std::string, std::string>> guest_environment(const std::vector<std::string>& host_env);

std::string stage1_script(const GuestPlan& plan);
std::string guest_script(const GuestPlan& plan);

// File names in the results share.
inline constexpr const char* kStatusFile = "status";    // the command's exit status, one line
inline constexpr const char* kStartedFile = "started";  // written just before the command runs
inline constexpr const char* kErrorFile = "error";      // why the guest could not run it

}  // namespace scalelab::vm
