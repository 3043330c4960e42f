#include "emulator/vm/initramfs.h"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "emulator/vm/cpio.h"
#include "emulator/vm/exec.h"
#include "emulator/vm/guest.h"
#include "emulator/vm/sha256.h"

namespace scalelab::vm {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string canonical_module(std::string name) {
  for (auto& c : name)
    if (c == '-') c = '_';
  return name;
}

}  // namespace

const std::vector<std::string>& initramfs_modules() {
  static const std::vector<std::string> modules{"9p", "9pnet_virtio", "overlay"};
  return modules;
}

std::string module_name(std::string_view path) {
  auto slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  auto dot = path.find(".ko");
  if (dot != std::string_view::npos) path = path.substr(0, dot);
  return canonical_module(std::string(path));
}

std::vector<std::string> module_load_order(std::string_view modules_dep, std::string_view builtin,
                                           const std::vector<std::string>& wanted) {
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> deps;  // name → (path, dep paths)
  std::istringstream in{std::string(modules_dep)};
  std::string line;
  while (std::getline(in, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string path = line.substr(0, colon);
    std::vector<std::string> d;
    std::istringstream rest(line.substr(colon + 1));
    for (std::string w; rest >> w;) d.push_back(w);
    deps[module_name(path)] = {path, d};
  }
  std::set<std::string> built_in;
  std::istringstream bin{std::string(builtin)};
  while (std::getline(bin, line))
    if (!line.empty()) built_in.insert(module_name(line));

  std::vector<std::string> order;
  std::set<std::string> done, visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (done.count(name) || built_in.count(name)) return;
    auto it = deps.find(name);
    if (it == deps.end()) throw std::runtime_error("module " + name + " is neither in modules.dep nor built in");
    if (!visiting.insert(name).second) throw std::runtime_error("module dependency loop at " + name);
    for (const auto& d : it->second.second) visit(module_name(d));
    visiting.erase(name);
    done.insert(name);
    order.push_back(it->second.first);
  };
  for (const auto& w : wanted) visit(canonical_module(w));
  return order;
}

std::string strip_module_signature(std::string module) {
  static const std::string magic = "~Module signature appended~\n";
  constexpr size_t kInfo = 12;  // struct module_signature; sig_len (big-endian) in its last 4 bytes
  if (module.size() < magic.size() + kInfo || module.compare(module.size() - magic.size(), magic.size(), magic) != 0) return module;
  size_t info = module.size() - magic.size() - kInfo;
  uint32_t sig_len = 0;
  for (int i = 8; i < 12; ++i) sig_len = (sig_len << 8) | static_cast<uint8_t>(module[info + i]);
  if (sig_len > info) return module;
  module.resize(info - sig_len);
  return module;
}

std::string initramfs_init_script() {
  return R"(#!/bin/busybox sh
# scalelab vm initramfs: load 9p and overlayfs, mount this run's results share, hand over to
# the run's stage-1 script there. Everything it prints goes to the serial console log.
B=/bin/busybox
$B mount -t proc proc /proc
$B mount -t devtmpfs devtmpfs /dev
export SCALELAB_T_INIT=$($B cut -d' ' -f1 /proc/uptime)
# The guest's modules load in the background; stage 1 waits for /modules-loaded.
(
  for m in $($B cat /etc/scalelab-modules-guest); do
    $B insmod /lib/modules/$m.ko || echo "scalelab-vm: insmod $m failed"
  done
  : > /modules-loaded
) &
for m in $($B cat /etc/scalelab-modules); do
  $B insmod /lib/modules/$m.ko || echo "scalelab-vm: insmod $m failed"
done
case " $($B cat /proc/cmdline) " in
  *" scalelab.probe "*) echo "scalelab-vm: probe ok"; $B poweroff -f ;;
esac
$B mkdir -p /results
if ! $B mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=none scalelab.results /results; then
  echo "scalelab-vm: cannot mount the results share"
  $B poweroff -f
fi
exec $B sh /results/stage1.sh
)";
}

std::string initramfs_recipe() {
  std::string all = initramfs_init_script();
  for (const auto& m : initramfs_modules()) all += "\n" + m;
  for (const auto& m : default_guest_modules()) all += "\n" + m;
  all += "\nunsigned";
  return sha256_hex(all).substr(0, 16);
}

void build_initramfs(const std::filesystem::path& modules_dir, const std::filesystem::path& busybox,
                     const std::filesystem::path& out) {
  std::string builtin;
  if (std::filesystem::exists(modules_dir / "modules.builtin")) builtin = read_file(modules_dir / "modules.builtin");
  auto dep = read_file(modules_dir / "modules.dep");
  auto early = module_load_order(dep, builtin, initramfs_modules());
  // The modules every guest gets are loaded here too, in the background while stage 1 mounts:
  // decompressed on the host once instead of by modprobe (xz under TCG) on every boot. One the
  // kernel lacks is left out, not fatal.
  std::vector<std::string> guest;
  for (const auto& m : default_guest_modules()) {
    std::vector<std::string> more;
    try {
      more = module_load_order(dep, builtin, {m});
    } catch (const std::runtime_error&) {
      continue;
    }
    for (auto& rel : more)
      if (std::find(early.begin(), early.end(), rel) == early.end() && std::find(guest.begin(), guest.end(), rel) == guest.end())
        guest.push_back(rel);
  }

  CpioWriter cpio;
  for (auto d : {"bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "run", "tmp", "results", "lower", "rw", "newroot"})
    cpio.directory(d);
  cpio.char_device("dev/console", 5, 1);
  cpio.char_device("dev/null", 1, 3, 0666);
  cpio.file("bin/busybox", read_file(busybox), 0755);
  cpio.symlink("bin/sh", "busybox");
  cpio.file("init", initramfs_init_script(), 0755);
  std::string early_names, guest_names;
  for (const auto& rel : early) early_names += module_name(rel) + "\n";
  for (const auto& rel : guest) guest_names += module_name(rel) + "\n";
  auto all = early;
  all.insert(all.end(), guest.begin(), guest.end());
  for (const auto& rel : all) {
    auto src = modules_dir / rel;
    std::string data;
    auto s = src.string();
    auto ends = [&](std::string_view suf) { return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0; };
    if (ends(".ko")) data = read_file(src);
    else if (ends(".ko.xz")) data = run_checked({"xz", "-dc", s});
    else if (ends(".ko.zst")) data = run_checked({"zstd", "-dc", s});
    else if (ends(".ko.gz")) data = run_checked({"gzip", "-dc", s});
    else throw std::runtime_error("unknown module compression: " + s);
    auto name = module_name(rel);
    cpio.file("lib/modules/" + name + ".ko", strip_module_signature(std::move(data)));
  }
  cpio.file("etc/scalelab-modules", early_names);
  cpio.file("etc/scalelab-modules-guest", guest_names);
  std::string archive = cpio.finish();
  auto tmp = out.string() + ".tmp";
  {
    std::ofstream o(tmp, std::ios::binary | std::ios::trunc);
    o.write(archive.data(), static_cast<std::streamsize>(archive.size()));
    if (!o) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, out);
}

}  // namespace scalelab::vm
