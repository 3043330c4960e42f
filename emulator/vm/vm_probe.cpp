#include "emulator/vm/vm_probe.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "emulator/vm/exec.h"
#include "emulator/vm/initramfs.h"
#include "emulator/vm/kernel_cache.h"
#include "emulator/vm/qemu.h"

namespace scalelab::vm {
namespace fs = std::filesystem;
namespace {

// What the remembered Linux-boot answer is valid for: this host kernel and this qemu binary.
std::string host_key(const fs::path& qemu) {
  struct utsname u {};
  ::uname(&u);
  struct stat st {};
  ::stat(qemu.c_str(), &st);
  return std::string(u.release) + " " + qemu.string() + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtime);
}

fs::path probe_file(const fs::path& cache_root) { return cache_root / "kvm-probe.json"; }

std::optional<std::pair<bool, std::string>> remembered(const fs::path& cache_root, const fs::path& qemu) {
  try {
    std::ifstream in(probe_file(cache_root));
    if (!in) return std::nullopt;
    auto j = nlohmann::json::parse(in);
    if (j.at("key").get<std::string>() != host_key(qemu)) return std::nullopt;
    return std::make_pair(j.at("usable").get<bool>(), j.at("reason").get<std::string>());
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

bool kvm_device(std::string& why) {
  int fd = ::open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    why = std::string("/dev/kvm: ") + std::strerror(errno);
    return false;
  }
  int v = ::ioctl(fd, KVM_GET_API_VERSION, 0);
  ::close(fd);
  if (v != KVM_API_VERSION) {
    why = "/dev/kvm answers API version " + std::to_string(v);
    return false;
  }
  return true;
}

// A 64 KiB "BIOS" whose reset vector writes 0x2a to an isa-debug-exit port: qemu then exits
// with status (0x2a << 1) | 1 = 85 — proof that KVM executed guest code.
bool kvm_tiny_guest(std::string& why) {
  char path[] = "/tmp/scalelab-kvm-probe.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) {
    why = "cannot create a probe file in /tmp";
    return false;
  }
  std::string bios(65536, '\xf4');
  const char code[] = {'\xb0', '\x2a', '\xe6', '\xf4', '\xf4', '\xeb', '\xfd'};  // mov al,42; out 0xf4,al; hlt; jmp $-1
  std::memcpy(bios.data() + 0xfff0, code, sizeof code);
  bool ok = ::write(fd, bios.data(), bios.size()) == static_cast<ssize_t>(bios.size());
  ::close(fd);
  if (!ok) {
    ::unlink(path);
    why = "cannot write the probe file";
    return false;
  }
  ExecOptions opt;
  opt.timeout = std::chrono::seconds(5);
  ExecResult r;
  try {
    r = run_capture({"qemu-system-x86_64", "-accel", "kvm", "-cpu", "host", "-M", "pc", "-nodefaults", "-no-user-config",
                     "-display", "none", "-m", "16", "-bios", path, "-device", "isa-debug-exit,iobase=0xf4,iosize=1"},
                    opt);
  } catch (const std::exception& e) {
    ::unlink(path);
    why = e.what();
    return false;
  }
  ::unlink(path);
  if (r.status == 85) return true;
  std::string err = r.err;
  if (auto nl = err.find('\n'); nl != std::string::npos) err.resize(nl);
  why = r.timed_out ? "a 16-byte guest did not finish under KVM within 5 s"
                    : "qemu with KVM failed (status " + std::to_string(r.status) + (err.empty() ? ")" : "): " + err);
  return false;
}

}  // namespace

VmAvailability probe_vm() {
  VmAvailability a;
  auto qemu = find_program("qemu-system-x86_64");
  if (!qemu) {
    a.accel = "none";
    a.reason = "qemu-system-x86_64 not found: install Debian's qemu-system-x86";
    return a;
  }
  a.qemu_present = true;
  a.accel = "tcg";
  std::string why;
  if (!kvm_device(why)) {
    a.reason = "KVM unavailable (" + why + "): TCG emulation, slower";
    return a;
  }
  if (auto r = remembered(default_cache_root(), *qemu); r && !r->first) {
    a.reason = "KVM present but unusable (" + r->second + "): TCG emulation, slower";
    return a;
  }
  if (!kvm_tiny_guest(why)) {
    a.reason = "KVM present but unusable (" + why + "): TCG emulation, slower";
    return a;
  }
  a.kvm_usable = true;
  a.accel = "kvm";
  a.reason = remembered(default_cache_root(), *qemu) ? "KVM boots Linux guests here"
                                                     : "KVM runs guests (a Linux boot under KVM is checked on first use)";
  return a;
}

std::vector<std::string> missing_vm_tools() {
  static const std::pair<const char*, const char*> tools[] = {
      {"qemu-system-x86_64", "qemu-system-x86"}, {"zstd", "zstd"}, {"xz", "xz-utils"}, {"dpkg-deb", "dpkg"},
      {"depmod", "kmod"}, {"apt-get", "apt"}, {"apt-cache", "apt"}};
  std::vector<std::string> missing;
  for (const auto& [tool, package] : tools)
    if (!find_program(tool)) missing.push_back(std::string(tool) + " (" + package + ")");
  bool busybox = false;
  for (const char* p : {"/bin/busybox", "/usr/bin/busybox"}) busybox = busybox || (fs::exists(p) && is_static_elf(p));
  if (!busybox) missing.push_back("static busybox (busybox-static)");
  return missing;
}

bool check_kvm_linux_boot(const KernelArtifacts& kernel, const fs::path& cache_root, std::string& reason) {
  auto qemu = find_program("qemu-system-x86_64");
  if (!qemu) {
    reason = "qemu-system-x86_64 not found";
    return false;
  }
  if (auto r = remembered(cache_root, *qemu)) {
    reason = r->second;
    return r->first;
  }
  char dir[] = "/tmp/scalelab-kvm-boot.XXXXXX";
  if (!::mkdtemp(dir)) {
    reason = "cannot create a probe directory";
    return false;
  }
  QemuConfig c;
  c.accel = "kvm";
  c.cpus = 1;
  c.mem_mb = 512;
  c.kernel = kernel.vmlinux;
  c.initramfs = kernel.initramfs;
  c.console_log = fs::path(dir) / "console.log";
  c.probe = true;
  ExecOptions opt;
  opt.timeout = std::chrono::seconds(8);
  bool usable = false;
  try {
    auto r = run_capture(qemu_argv(c), opt);
    std::ifstream in(c.console_log);
    std::stringstream ss;
    ss << in.rdbuf();
    usable = ss.str().find(kProbeMarker) != std::string::npos;
    if (!usable) {
      std::string err = r.err;
      if (auto k = err.find("KVM internal error"); k != std::string::npos) err = err.substr(k, err.find('\n', k) - k);
      else if (auto nl = err.find('\n'); nl != std::string::npos) err.resize(nl);
      reason = r.timed_out ? "a Linux guest did not reach its init under KVM within 8 s" : "a Linux boot under KVM failed: " + err;
    } else {
      reason = "a Linux guest booted under KVM";
    }
  } catch (const std::exception& e) {
    reason = e.what();
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  nlohmann::json j{{"key", host_key(*qemu)}, {"usable", usable}, {"reason", reason}, {"kernel", kernel.manifest.abi}};
  std::ofstream(probe_file(cache_root)) << j.dump(2) << "\n";
  return usable;
}

}  // namespace scalelab::vm
