#include "emulator/vm/guest.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace scalelab::vm {
namespace {

bool valid_env_name(std::string_view n) {
  if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
  return std::all_of(n.begin(), n.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

constexpr const char* kMountOptions = "trans=virtio,version=9p2000.L,msize=512000";

}  // namespace

const std::vector<std::string>& default_guest_modules() {
  static const std::vector<std::string> modules{"veth", "bridge", "sch_htb", "sch_netem", "sch_tbf",
                                                "ib_uverbs", "rdma_ucm", "rdma_rxe"};
  return modules;
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

std::vector<std::pair<std::string, std::string>> guest_environment(const std::vector<std::string>& host_env) {
  static const std::set<std::string, std::less<>> dropped{
      "PWD", "OLDPWD", "SHLVL", "_", "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "SSH_AUTH_SOCK",
      "SSH_AGENT_PID", "SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "TMUX", "TMUX_PANE", "STY", "WINDOW",
      "INVOCATION_ID", "JOURNAL_STREAM", "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES",
      "MAIL", "TERMCAP", "GPG_AGENT_INFO"};
  std::vector<std::pair<std::string, std::string>> out;
  bool have_path = false;
  for (const auto& kv : host_env) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    std::string k = kv.substr(0, eq), v = kv.substr(eq + 1);
    if (!valid_env_name(k) || dropped.count(k) || starts_with(k, "XDG_")) continue;
    if (k == "PATH") {
      have_path = true;
      for (const char* dir : {"/usr/local/sbin", "/usr/sbin", "/sbin"})
        if ((":" + v + ":").find(std::string(":") + dir + ":") == std::string::npos) v += std::string(":") + dir;
    }
    out.emplace_back(std::move(k), std::move(v));
  }
  if (!have_path) out.emplace_back("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  std::sort(out.begin(), out.end());
  return out;
}

std::string stage1_script(const GuestPlan& plan) {
  std::ostringstream s;
  const std::string mods = "/lib/modules/" + plan.abi;
  s << "# scalelab vm stage 1 (initramfs busybox sh), generated for this run.\n"
       "B=/bin/busybox\n"
       "echo \"init $SCALELAB_T_INIT\" > /results/timing\n"
       "echo \"stage1 $($B cut -d' ' -f1 /proc/uptime)\" >> /results/timing\n"
       "fail() { echo \"scalelab-vm: $*\"; echo \"$*\" > /results/error; $B sync; $B poweroff -f; }\n"
       "$B mkdir -p /lower /rw /newroot\n"
       "$B mount -t 9p -o ro,"
    << kMountOptions
    << ",cache=loose scalelab.root /lower || fail 'cannot mount the host root over 9p'\n"
       "$B mount -t tmpfs -o mode=0755 tmpfs /rw\n"
       "$B mkdir -p /rw/upper /rw/work\n"
       "$B mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot"
       " || fail 'cannot mount the tmpfs overlay on the host root'\n"
       "$B mkdir -p /newroot"
    << shell_quote(mods) << "\n$B mount --bind /newroot" << shell_quote(plan.modules_dir.string()) << " /newroot" << shell_quote(mods)
    << " || fail " << shell_quote("cannot bind the kernel's modules from " + plan.modules_dir.string()) << "\n"
    << "$B mount -t proc proc /newroot/proc\n"
       "$B mount -t sysfs sysfs /newroot/sys\n"
       "$B mount -t cgroup2 cgroup2 /newroot/sys/fs/cgroup 2>/dev/null\n"
       "$B mount --move /dev /newroot/dev\n"
       "$B mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /newroot/run\n"
       "$B mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /newroot/tmp\n"
       "$B mkdir -p /newroot/run/scalelab-vm /newroot/run/scalelab-vm-tools\n"
       "$B cp /bin/busybox /newroot/run/scalelab-vm-tools/busybox\n";
  for (const auto& share : plan.shares) {
    auto p = shell_quote(share.path.string());
    s << "$B mkdir -p /newroot" << p << " && $B mount -t 9p -o " << kMountOptions << ",cache=mmap " << share.tag << " /newroot" << p
      << " || fail " << shell_quote("cannot mount the share " + share.path.string()) << "\n";
  }
  s << "while [ ! -e /modules-loaded ]; do $B usleep 10000; done\n"
       "echo \"modules $($B cut -d' ' -f1 /proc/uptime)\" >> /results/timing\n"
       "$B mount --move /results /newroot/run/scalelab-vm || fail 'cannot move the results share'\n"
       "$B umount /proc\n"
       "exec $B switch_root /newroot /bin/sh /run/scalelab-vm/guest.sh\n";
  return s.str();
}

std::string guest_script(const GuestPlan& plan) {
  std::ostringstream s;
  // Literal paths throughout: the caller's environment, exported below, may name any variable.
  s << "# scalelab vm guest script (the host's /bin/sh, now the guest's root), generated for this run.\n"
       "finish() { echo \"$1\" > /run/scalelab-vm/status.tmp && /run/scalelab-vm-tools/busybox mv /run/scalelab-vm/status.tmp /run/scalelab-vm/status; /run/scalelab-vm-tools/busybox sync; /run/scalelab-vm-tools/busybox poweroff -f; }\n"
       "echo \"guest $(/run/scalelab-vm-tools/busybox cut -d' ' -f1 /proc/uptime)\" >> /run/scalelab-vm/timing\n"
       "out=/dev/console err=/dev/console\n"
       "for p in /sys/class/virtio-ports/*; do\n"
       "  case \"$(/run/scalelab-vm-tools/busybox cat \"$p/name\" 2>/dev/null)\" in\n"
       "    scalelab.stdout) out=/dev/${p##*/} ;;\n"
       "    scalelab.stderr) err=/dev/${p##*/} ;;\n"
       "  esac\n"
       "done\n"
       "exec >\"$out\" 2>\"$err\" </dev/null\n"
       "/run/scalelab-vm-tools/busybox mkdir -p /dev/pts /dev/shm /dev/mqueue\n"
       "/run/scalelab-vm-tools/busybox mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts && /run/scalelab-vm-tools/busybox ln -sf pts/ptmx /dev/ptmx\n"
       "/run/scalelab-vm-tools/busybox mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm\n"
       "/run/scalelab-vm-tools/busybox mount -t mqueue mqueue /dev/mqueue 2>/dev/null\n"
       "/run/scalelab-vm-tools/busybox ln -sf /proc/self/fd /dev/fd; /run/scalelab-vm-tools/busybox ln -sf /proc/self/fd/0 /dev/stdin\n"
       "/run/scalelab-vm-tools/busybox ln -sf /proc/self/fd/1 /dev/stdout; /run/scalelab-vm-tools/busybox ln -sf /proc/self/fd/2 /dev/stderr\n"
       "/run/scalelab-vm-tools/busybox hostname "
    << shell_quote(plan.hostname)
    << "\n"
       "/run/scalelab-vm-tools/busybox ifconfig lo 127.0.0.1 up\n";
  if (!plan.modules.empty()) {
    s << "modprobe -a";
    for (const auto& m : plan.modules) s << ' ' << shell_quote(m);
    s << " || echo 'scalelab vm: warning: not every module loaded (see above)' >&2\n";
  }

  // The environment: a clean slate, then the caller's.
  s << "for v in $(/run/scalelab-vm-tools/busybox env | /run/scalelab-vm-tools/busybox sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do unset \"$v\" 2>/dev/null; done\n";
  for (const auto& [k, v] : plan.env) s << "export " << k << '=' << shell_quote(v) << '\n';
  s << "cd " << shell_quote(plan.cwd.string()) << " || { echo "
    << shell_quote("scalelab vm: cannot enter " + plan.cwd.string() + " inside the VM") << " >&2; finish 126; }\n";
  s << "/run/scalelab-vm-tools/busybox cut -d' ' -f1 /proc/uptime > /run/scalelab-vm/started\n";
  s << "set --";
  for (const auto& a : plan.argv) s << ' ' << shell_quote(a);
  s << "\n\"$@\"\n"
       "finish $?\n";
  return s.str();
}

}  // namespace scalelab::vm
