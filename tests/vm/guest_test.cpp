#include <gtest/gtest.h>

#include <map>

#include "emulator/vm/guest.h"
#include "emulator/vm/qemu.h"
#include "emulator/vm/vm_run.h"

using namespace scalelab::vm;

namespace {
GuestPlan plan() {
  GuestPlan p;
  p.abi = "7.3.4+deb13-amd64";
  p.modules_dir = "/var/cache/scalelab/vm/7.3.4+deb13-amd64/root/usr/lib/modules/7.3.4+deb13-amd64";
  p.shares = {{"/work/main", "scalelab.share0"}};
  p.cwd = "/work/main/build";
  p.argv = {"sh", "-c", "echo 'it''s' $HOME"};
  p.env = {{"HOME", "/root"}, {"WEIRD", "a'b\nc"}};
  return p;
}
}  // namespace

TEST(Guest, ShellQuote) {
  EXPECT_EQ(shell_quote("plain"), "'plain'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
}

TEST(Guest, Stage1MountsRootReadOnlyWithOverlayAndShares) {
  auto s = stage1_script(plan());
  EXPECT_NE(s.find("mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose scalelab.root /lower"), std::string::npos);
  EXPECT_NE(s.find("mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot"), std::string::npos);
  EXPECT_NE(s.find("--bind /newroot'/var/cache/scalelab/vm/7.3.4+deb13-amd64/root/usr/lib/modules/7.3.4+deb13-amd64' "
                   "/newroot'/lib/modules/7.3.4+deb13-amd64'"),
            std::string::npos);
  EXPECT_NE(s.find("scalelab.share0 /newroot'/work/main'"), std::string::npos);
  EXPECT_NE(s.find("switch_root /newroot /bin/sh /run/scalelab-vm/guest.sh"), std::string::npos);
  // shares come after the tmpfs on /tmp and /run, so a share there is not hidden
  EXPECT_LT(s.find("tmpfs /newroot/tmp"), s.find("scalelab.share0"));
}

TEST(Guest, ScriptRunsTheCommandInItsDirectoryAndRecordsTheStatus) {
  auto s = guest_script(plan());
  EXPECT_NE(s.find("cd '/work/main/build'"), std::string::npos);
  EXPECT_NE(s.find("set -- 'sh' '-c' 'echo '\\''it'\\'''\\''s'\\'' $HOME'"), std::string::npos);
  EXPECT_NE(s.find("export WEIRD='a'\\''b\nc'"), std::string::npos);
  EXPECT_NE(s.find("finish $?"), std::string::npos);
  EXPECT_NE(s.find("scalelab.stdout"), std::string::npos);
  EXPECT_EQ(s.find("modprobe"), std::string::npos);  // defaults come from the initramfs
  auto p = plan();
  p.modules = {"dummy"};
  EXPECT_NE(guest_script(p).find("modprobe -a 'dummy'"), std::string::npos);
}

TEST(Guest, EnvironmentDropsHostSessionsAndGainsSbin) {
  auto env = guest_environment({"PATH=/usr/bin:/bin", "HOME=/root", "SSH_AUTH_SOCK=/tmp/x", "XDG_RUNTIME_DIR=/run/user/0",
                                "PWD=/x", "CI=true", "1BAD=x", "NOEQUALS"});
  std::map<std::string, std::string> m(env.begin(), env.end());
  EXPECT_EQ(m.count("SSH_AUTH_SOCK"), 0u);
  EXPECT_EQ(m.count("XDG_RUNTIME_DIR"), 0u);
  EXPECT_EQ(m.count("PWD"), 0u);
  EXPECT_EQ(m.count("1BAD"), 0u);
  EXPECT_EQ(m["CI"], "true");
  EXPECT_EQ(m["PATH"], "/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin");
  auto env2 = guest_environment({"PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin"});
  EXPECT_EQ(env2.at(0).second, "/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/sbin");
}

TEST(Qemu, TcgCommandLine) {
  QemuConfig c;
  c.accel = "tcg";
  c.kernel = "/c/vmlinux";
  c.initramfs = "/c/initramfs.cpio";
  c.results_dir = "/tmp/run,1";
  c.console_log = "/tmp/run,1/console.log";
  c.shares = {{"/work/main", "scalelab.share0"}};
  c.stdout_fd = 100;
  c.stderr_fd = 101;
  c.host_root = true;
  auto a = qemu_argv(c);
  std::string all;
  for (const auto& x : a) all += x + " ";
  EXPECT_NE(all.find("-accel tcg,thread=multi -cpu max"), std::string::npos);
  EXPECT_NE(all.find("path=/,security_model=passthrough,multidevs=remap,readonly=on"), std::string::npos);
  c.host_root = false;  // a normal user's qemu may not chown: the shares use model "none"
  std::string unprivileged;
  for (const auto& x : qemu_argv(c)) unprivileged += x + " ";
  EXPECT_NE(unprivileged.find("path=/,security_model=none,multidevs=remap,readonly=on"), std::string::npos);
  EXPECT_EQ(unprivileged.find("passthrough"), std::string::npos);
  EXPECT_NE(all.find("path=/tmp/run,,1,"), std::string::npos);  // commas doubled for qemu
  EXPECT_NE(all.find("mount_tag=scalelab.share0"), std::string::npos);
  EXPECT_NE(all.find("-add-fd fd=100,set=1"), std::string::npos);
  EXPECT_NE(all.find("path=/dev/fdset/1,append=on"), std::string::npos);
  EXPECT_NE(all.find("name=scalelab.stderr"), std::string::npos);
  EXPECT_NE(all.find("quiet loglevel=1"), std::string::npos);
  EXPECT_EQ(all.find("kvm"), std::string::npos);
  c.accel = "kvm";
  c.probe = true;
  auto k = qemu_argv(c);
  std::string kall;
  for (const auto& x : k) kall += x + " ";
  EXPECT_NE(kall.find("-accel kvm -cpu host"), std::string::npos);
  EXPECT_NE(kall.find("scalelab.probe"), std::string::npos);
  EXPECT_EQ(kall.find("virtio-9p"), std::string::npos);
}

TEST(Run, ProjectTreeIsTheGitTopLevel) {
  auto dir = std::filesystem::temp_directory_path() / "scalelab-vm-project-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / ".git");
  std::filesystem::create_directories(dir / "build/sub");
  EXPECT_EQ(project_tree(dir / "build/sub"), dir);
  std::filesystem::remove_all(dir / ".git");
  EXPECT_EQ(project_tree(dir / "build/sub"), dir / "build/sub");
  std::filesystem::remove_all(dir);
}
