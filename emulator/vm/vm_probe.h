#pragma once
// Can this machine run `scalelab vm`, and with which accelerator? For `scalelab doctor` and for
// `scalelab vm` itself. KVM counts as usable only when it actually runs a guest: /dev/kvm can
// exist and still fail (nested setups whose emulation breaks a Linux boot).
#include <filesystem>
#include <string>
#include <vector>

namespace scalelab::vm {

struct VmAvailability {
  bool qemu_present = false;
  bool kvm_usable = false;
  std::string accel;   // "kvm", "tcg", or "none" without qemu
  std::string reason;  // one line a person can act on
};

// Cheap (≈0.1 s): qemu on PATH, /dev/kvm answering KVM_GET_API_VERSION, a 16-byte guest run
// under KVM, and the remembered result of the last Linux boot under KVM on this host (see
// check_kvm_linux_boot), if any.
VmAvailability probe_vm();

// Host tools `scalelab vm` forks, each as "tool (Debian package)", that are missing; a dynamic
// busybox counts as missing (the initramfs needs busybox-static).
std::vector<std::string> missing_vm_tools();

struct KernelArtifacts;

// Boots `kernel` under KVM to its init and back (≤ 8 s) unless a result for this host kernel
// and qemu binary is remembered in <cache>/kvm-probe.json; remembers the answer. Returns whether
// KVM can boot Linux here; `reason` says why not.
bool check_kvm_linux_boot(const KernelArtifacts& kernel, const std::filesystem::path& cache_root, std::string& reason);

}  // namespace scalelab::vm
