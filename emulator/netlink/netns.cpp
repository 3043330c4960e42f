#include "emulator/netlink/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <utility>

#include "emulator/netlink/error.h"

namespace scalelab::nl {
namespace {

std::string path_of(const std::string& name) { return locations::netns_dir() + "/" + name; }

// As iproute2 does: /run/netns is a shared mount point, so namespace mounts made here
// propagate into mount namespaces created later (and into `ip netns exec`).
void prepare_run_dir() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* dir = locations::netns_dir().c_str();
    mkdir(dir, 0755);
    if (mount("", dir, "none", MS_SHARED | MS_REC, nullptr) == 0) return;
    if (errno != EINVAL) return;
    check_sys(mount(dir, dir, "none", MS_BIND | MS_REC, nullptr), "bind-mount " + locations::netns_dir() + " onto itself");
    check_sys(mount("", dir, "none", MS_SHARED | MS_REC, nullptr), "make " + locations::netns_dir() + " a shared mount");
  });
}

}  // namespace

namespace {

// Makes the marker file, unshares into a new namespace and bind-mounts it there; the thread is
// left in the new namespace (when the unshare succeeded). Returns the namespace's fd.
int create_here(const std::string& name) {
  prepare_run_dir();
  const std::string path = path_of(name);
  int marker = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  check_sys(marker, "create " + path);
  ::close(marker);
  int fd = -1;
  int failure = 0;
  std::string step;
  if (unshare(CLONE_NEWNET) < 0)
    failure = errno, step = "unshare(CLONE_NEWNET)";
  else if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) < 0)
    failure = errno, step = "bind-mount namespace at " + path;
  else if ((fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) < 0)
    failure = errno, step = "open the new namespace";
  if (failure) {
    umount2(path.c_str(), MNT_DETACH);
    unlink(path.c_str());
    errno = failure;
    check_sys(-1, step);
  }
  return fd;
}

}  // namespace

NamedNetns NamedNetns::create(const std::string& name) {
  // Back to where this thread was, whatever happened: worker threads are reused.
  ThreadNetnsReturn back;
  return NamedNetns(name, create_here(name), true);
}

NamedNetns NamedNetns::create_entered(const std::string& name) { return NamedNetns(name, create_here(name), true); }

NamedNetns NamedNetns::open(const std::string& name) {
  int fd = ::open(path_of(name).c_str(), O_RDONLY | O_CLOEXEC);
  check_sys(fd, "open network namespace " + path_of(name));
  return NamedNetns(name, fd, false);
}

NamedNetns::NamedNetns(NamedNetns&& other) noexcept
    : name_(std::move(other.name_)), fd_(std::exchange(other.fd_, -1)), owned_(std::exchange(other.owned_, false)) {}

NamedNetns& NamedNetns::operator=(NamedNetns&& other) noexcept {
  if (this != &other) {
    this->~NamedNetns();
    new (this) NamedNetns(std::move(other));
  }
  return *this;
}

NamedNetns::~NamedNetns() {
  if (fd_ >= 0) ::close(fd_);
  if (owned_) remove_named_netns(name_);
}

bool remove_named_netns(const std::string& name) {
  const std::string path = path_of(name);
  umount2(path.c_str(), MNT_DETACH);
  return unlink(path.c_str()) == 0;
}

bool named_netns_exists(const std::string& name) {
  struct stat st;
  return stat(path_of(name).c_str(), &st) == 0;
}

std::vector<std::string> list_named_netns(const std::string& prefix) {
  std::vector<std::string> names;
  if (DIR* dir = opendir(locations::netns_dir().c_str())) {
    while (dirent* e = readdir(dir)) {
      std::string n = e->d_name;
      if (n != "." && n != ".." && n.rfind(prefix, 0) == 0) names.push_back(n);
    }
    closedir(dir);
  }
  std::sort(names.begin(), names.end());
  return names;
}

ThreadNetnsGuard::ThreadNetnsGuard(int netns_fd) {
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  check_sys(original_, "open the current network namespace");
  if (setns(netns_fd, CLONE_NEWNET) < 0) {
    int e = errno;
    ::close(original_);
    errno = e;
    check_sys(-1, "enter network namespace");
  }
}

ThreadNetnsGuard::~ThreadNetnsGuard() {
  setns(original_, CLONE_NEWNET);
  ::close(original_);
}

ThreadNetnsReturn::ThreadNetnsReturn() {
  original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  check_sys(original_, "open the current network namespace");
}

ThreadNetnsReturn::ThreadNetnsReturn(ThreadNetnsReturn&& other) noexcept : original_(std::exchange(other.original_, -1)) {}

ThreadNetnsReturn::~ThreadNetnsReturn() {
  if (original_ < 0) return;
  setns(original_, CLONE_NEWNET);
  ::close(original_);
}

void write_sysctl(int netns_fd, const std::string& key, const std::string& value) {
  ThreadNetnsGuard inside(netns_fd);
  write_sysctl_here(key, value);
}

namespace {

// Writes value to the file at `path` (relative to the directory dirfd, or AT_FDCWD).
void write_file_at(int dirfd, const std::string& path, const std::string& value, const std::string& shown) {
  int fd = ::openat(dirfd, path.c_str(), O_WRONLY | O_CLOEXEC);
  check_sys(fd, "open " + shown);
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = errno;
  ::close(fd);
  errno = e;
  check_sys(n < 0 ? -1 : 0, "write " + value + " to " + shown);
}

}  // namespace

void write_sysctl_here(const std::string& key, const std::string& value) {
  // /proc/sys/net resolves to the opener's network namespace, i.e. this thread's.
  const std::string path = "/proc/sys/" + key;
  write_file_at(AT_FDCWD, path, value, path);
}

PrivateProc::PrivateProc() {
  check_sys(unshare(CLONE_FS | CLONE_NEWNS), "unshare(CLONE_NEWNS) for a private /proc");
  check_sys(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), "make the thread's mounts private");
  check_sys(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount a private /proc");
}

void PrivateProc::refresh() {
  check_sys(umount2("/proc", MNT_DETACH), "unmount the private /proc");
  check_sys(mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr), "mount a private /proc");
}

NetSysctls::NetSysctls() {
  dir_ = ::open("/proc/sys/net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  check_sys(dir_, "open /proc/sys/net");
}

NetSysctls::~NetSysctls() { ::close(dir_); }

void NetSysctls::write(const std::string& key, const std::string& value) { write_file_at(dir_, key, value, "/proc/sys/net/" + key); }

}  // namespace scalelab::nl
