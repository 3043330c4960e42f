#include "emulator/process/enter_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emulator/locations/locations.h"

namespace scalelab::process {

namespace {
constexpr const char* kBindHosts = NamespaceEntry::kBindHostsStep;

const char* hint_for(const char* step, int err) {
  if (std::strcmp(step, "open") == 0 && err == ENOENT) return " (is the cluster up?)";
  if (std::strcmp(step, kBindHosts) == 0 && err == ENOENT)
    return " (the cluster has no hosts file: it was brought up by an older scalelab; `scalelab down` and `up` it again)";
  if (err == EPERM) return " (needs root)";
  return "";
}
void write_all(const char* s) noexcept {
  std::size_t n = std::strlen(s);
  while (n > 0) {
    ssize_t w = ::write(2, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<std::size_t>(w);
  }
}
}  // namespace

NamespaceEntry::NamespaceEntry(std::string netns_name, NodeIdentity identity)
    : name_(std::move(netns_name)), path_(locations::netns_dir() + "/" + name_), identity_(std::move(identity)) {}

void NamespaceEntry::copy_mounts_of(int mount_namespace_fd, std::string working_directory) {
  mount_template_fd_ = mount_namespace_fd;
  cwd_ = std::move(working_directory);
}

const char* NamespaceEntry::enter() const noexcept {
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "open";
  if (::setns(fd, CLONE_NEWNET) < 0) {
    const int e = errno;
    ::close(fd);
    errno = e;
    return "setns";
  }
  ::close(fd);
  // setns into a mount namespace moves the root and cwd to its root: the cwd is set again below.
  if (mount_template_fd_ >= 0 && ::setns(mount_template_fd_, CLONE_NEWNS) < 0) return "setns(mount template)";
  if (::unshare(CLONE_NEWNS) < 0) return "unshare(CLONE_NEWNS)";
  // Keep the host's mounts from seeing ours, then show this namespace's sysfs.
  if (::mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) < 0) return "mount --make-rslave /";
  ::umount2("/sys", MNT_DETACH);
  if (::mount(name_.c_str(), "/sys", "sysfs", 0, nullptr) < 0) return "mount sysfs";
  // The mount namespace is already private, so the bind mount is seen by this process alone.
  if (!identity_.hosts_file.empty() && ::mount(identity_.hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) < 0)
    return kBindHosts;
  if (!identity_.hostname.empty()) {
    if (::unshare(CLONE_NEWUTS) < 0) return "unshare(CLONE_NEWUTS)";
    if (::sethostname(identity_.hostname.data(), identity_.hostname.size()) < 0) return "sethostname";
  }
  if (mount_template_fd_ >= 0 && ::chdir(cwd_.c_str()) < 0) return "chdir to the launcher's working directory";
  return nullptr;
}

std::string NamespaceEntry::failure_message(const char* step, int err) const {
  const std::string what = std::strcmp(step, kBindHosts) == 0 ? std::string(step) + " (" + identity_.hosts_file + ")" : std::string(step);
  return "cannot enter " + path_ + ": " + what + ": " + std::strerror(err) + hint_for(step, err);
}

void NamespaceEntry::report_failure(const char* step, int err) const noexcept {
  // strerrordesc_np returns a static string: no locale lookup, no allocation.
  const char* desc = ::strerrordesc_np(err);
  write_all("scalelab: cannot enter ");
  write_all(path_.c_str());
  write_all(": ");
  write_all(step);
  if (std::strcmp(step, kBindHosts) == 0) {
    write_all(" (");
    write_all(identity_.hosts_file.c_str());
    write_all(")");
  }
  write_all(": ");
  write_all(desc ? desc : "unknown error");
  write_all(hint_for(step, err));
  write_all("\n");
}

std::string enter_node_namespace(const std::string& netns_name, const NodeIdentity& identity) {
  NamespaceEntry entry(netns_name, identity);
  if (const char* step = entry.enter()) return entry.failure_message(step, errno);
  return {};
}

std::string exec_in_namespace(const std::string& netns_name, const std::vector<std::string>& argv, const NodeIdentity& identity) {
  if (argv.empty()) return "no command given";
  if (auto error = enter_node_namespace(netns_name, identity); !error.empty()) return error;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  return "cannot run " + argv[0] + ": " + std::strerror(errno);
}

}  // namespace scalelab::process
