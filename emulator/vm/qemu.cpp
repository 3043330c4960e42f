#include "emulator/vm/qemu.h"

namespace scalelab::vm {
namespace {

// qemu's option syntax doubles a comma inside a value.
std::string opt_value(const std::filesystem::path& p) {
  std::string out;
  for (char ch : p.string()) {
    out += ch;
    if (ch == ',') out += ',';
  }
  return out;
}

void add_9p(std::vector<std::string>& a, const std::string& id, const std::filesystem::path& path, const std::string& tag,
            bool readonly, bool host_root) {
  a.push_back("-fsdev");
  a.push_back("local,id=" + id + ",path=" + opt_value(path) + ",security_model=" + (host_root ? "passthrough" : "none") +
              ",multidevs=remap" +
              (readonly ? ",readonly=on" : ""));
  a.push_back("-device");
  a.push_back("virtio-9p-pci,fsdev=" + id + ",mount_tag=" + tag);
}

}  // namespace

std::string kernel_cmdline(bool probe) {
  // quiet + loglevel=1 keep the kernel off the console; panic=-1 with -no-reboot ends qemu on a
  // panic; rdinit is the initramfs's init; no CPU-bug mitigations: this is a throwaway guest.
  std::string c = "console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init mitigations=off tsc=reliable";
  if (probe) c += " scalelab.probe";
  return c;
}

std::vector<std::string> qemu_argv(const QemuConfig& c) {
  std::vector<std::string> a{"qemu-system-x86_64", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
                             "-M", "q35"};
  if (c.accel == "kvm") {
    a.insert(a.end(), {"-accel", "kvm", "-cpu", "host"});
  } else {
    a.insert(a.end(), {"-accel", "tcg,thread=multi", "-cpu", "max"});
  }
  a.insert(a.end(), {"-smp", std::to_string(c.cpus), "-m", std::to_string(c.mem_mb)});
  a.insert(a.end(), {"-kernel", c.kernel.string(), "-initrd", c.initramfs.string(), "-append", kernel_cmdline(c.probe)});
  a.insert(a.end(), {"-serial", "file:" + opt_value(c.console_log)});
  if (c.probe) return a;
  add_9p(a, "fsroot", "/", "scalelab.root", true, c.host_root);
  add_9p(a, "fsresults", c.results_dir, "scalelab.results", false, c.host_root);
  for (size_t i = 0; i < c.shares.size(); ++i) add_9p(a, "fsshare" + std::to_string(i), c.shares[i].path, c.shares[i].tag, false, c.host_root);
  if (c.stdout_fd >= 0 || c.stderr_fd >= 0) a.insert(a.end(), {"-device", "virtio-serial-pci"});
  auto port = [&](int fd, int set, const std::string& name) {
    if (fd < 0) return;
    a.insert(a.end(), {"-add-fd", "fd=" + std::to_string(fd) + ",set=" + std::to_string(set)});
    a.insert(a.end(), {"-chardev", "file,id=" + name + ",path=/dev/fdset/" + std::to_string(set) + ",append=on"});
    a.insert(a.end(), {"-device", "virtserialport,chardev=" + name + ",name=scalelab." + name});
  };
  port(c.stdout_fd, 1, "stdout");
  port(c.stderr_fd, 2, "stderr");
  return a;
}

}  // namespace scalelab::vm
