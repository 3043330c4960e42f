#pragma once
// The initramfs: static busybox, the few modules needed to reach the host's root over 9p and
// the modules every guest loads (default_guest_modules(), with what they need), uncompressed for
// busybox insmod, and an init that loads them, mounts the run's results share and hands over to
// the run's stage-1 script there (guest.h writes it).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::vm {

// Modules the initramfs loads: 9p over virtio (and what they need: netfs, 9pnet) and overlayfs.
const std::vector<std::string>& initramfs_modules();

// "kernel/fs/9p/9p.ko.xz" → "9p" (dashes and underscores are the same module name; '_' kept).
std::string module_name(std::string_view path);

// Dependency-ordered closure of `wanted` from a modules.dep text: every module after all it
// needs. Modules listed in `builtin` (modules.builtin text) are skipped. Throws when a wanted
// module is neither there nor built in.
std::vector<std::string> module_load_order(std::string_view modules_dep, std::string_view builtin,
                                           const std::vector<std::string>& wanted);

// A module without its appended signature ("~Module signature appended~"): the kernel then skips
// the signature check (slow under TCG) and notes a taint. The module's integrity is already
// vouched for by the package's SHA-256 from apt's signed index. Unsigned input is returned as is.
std::string strip_module_signature(std::string module);

// The initramfs's /init (busybox sh).
std::string initramfs_init_script();

// Identifies what the initramfs holds (init script, module list); a cached initramfs with an
// other recipe is rebuilt.
std::string initramfs_recipe();

// Builds the initramfs for the kernel whose modules are in `modules_dir` (…/lib/modules/<abi>,
// after depmod) using the static busybox at `busybox`; writes it to `out`.
void build_initramfs(const std::filesystem::path& modules_dir, const std::filesystem::path& busybox,
                     const std::filesystem::path& out);

// The marker the init prints on the console when booted with `scalelab.probe` on its command line.
inline constexpr std::string_view kProbeMarker = "scalelab-vm: probe ok";

}  // namespace scalelab::vm
