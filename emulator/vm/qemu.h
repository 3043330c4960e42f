#pragma once
// The qemu command line: q35, no network, no display; the host root and the run's results
// directory over virtio-9p; the command's stdout/stderr on two virtio-serial ports wired to
// descriptors qemu inherits; the serial console (kernel and init noise) to a log file.
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "emulator/vm/guest.h"

namespace scalelab::vm {

struct QemuConfig {
  std::string accel = "tcg";  // "kvm" or "tcg"
  int cpus = 2;
  int mem_mb = 2048;
  std::filesystem::path kernel;     // uncompressed vmlinux (PVH entry)
  std::filesystem::path initramfs;
  std::filesystem::path results_dir;  // empty for a probe boot
  std::vector<Share> shares;
  std::filesystem::path console_log;
  int stdout_fd = -1;  // descriptor numbers as qemu sees them; -1: no port
  int stderr_fd = -1;
  bool probe = false;  // boot, print the probe marker, power off
  // 9p's passthrough model chowns what the guest's root creates to root on the host, which only
  // root may do; run as a normal user, the shares use model "none" (files stay the user's).
  bool host_root = ::geteuid() == 0;
};

std::string kernel_cmdline(bool probe);
std::vector<std::string> qemu_argv(const QemuConfig& config);

}  // namespace scalelab::vm
