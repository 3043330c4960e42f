#pragma once
// Named network namespaces, bind-mounted under /run/netns exactly as `ip netns add` does, so
// users can `ip netns exec` into them and they outlive the process that made them. A rootless
// run keeps them in its own directory instead (locations::netns_dir()).
#include <string>
#include <vector>

#include "emulator/locations/locations.h"

namespace scalelab::nl {

// Owns an open namespace fd. When created here and not yet kept, the destructor removes the
// namespace again, so a failed bring-up unwinds whatever it had made.
class NamedNetns {
 public:
  // Creates /run/netns/<name>; throws NetlinkError (EEXIST when it already exists).
  static NamedNetns create(const std::string& name);
  // As create(), but the calling thread stays inside the new namespace (also when it throws
  // after the unshare), so that its sysctls and sockets are set up without switching back and
  // forth; the caller returns the thread with a ThreadNetnsReturn made before.
  static NamedNetns create_entered(const std::string& name);
  // Opens an existing one; throws when it does not exist.
  static NamedNetns open(const std::string& name);

  NamedNetns(NamedNetns&& other) noexcept;
  NamedNetns& operator=(NamedNetns&& other) noexcept;
  NamedNetns(const NamedNetns&) = delete;
  NamedNetns& operator=(const NamedNetns&) = delete;
  ~NamedNetns();

  const std::string& name() const { return name_; }
  int fd() const { return fd_; }
  void keep() { owned_ = false; }  // leave it in place after this object dies

 private:
  NamedNetns(std::string name, int fd, bool owned) : name_(std::move(name)), fd_(fd), owned_(owned) {}
  std::string name_;
  int fd_ = -1;
  bool owned_ = false;
};

// Unmounts and unlinks /run/netns/<name>. Returns false when it did not exist. The kernel tears
// the namespace down asynchronously once its last user is gone.
bool remove_named_netns(const std::string& name);
bool named_netns_exists(const std::string& name);
// Names under /run/netns starting with `prefix`, sorted.
std::vector<std::string> list_named_netns(const std::string& prefix);

// Moves the calling thread into a namespace and back again when it goes out of scope.
class ThreadNetnsGuard {
 public:
  explicit ThreadNetnsGuard(int netns_fd);
  ~ThreadNetnsGuard();
  ThreadNetnsGuard(const ThreadNetnsGuard&) = delete;
  ThreadNetnsGuard& operator=(const ThreadNetnsGuard&) = delete;

 private:
  int original_ = -1;
};

// Remembers the calling thread's network namespace and moves the thread back there when it
// goes out of scope, wherever the thread went meanwhile.
class ThreadNetnsReturn {
 public:
  ThreadNetnsReturn();
  ~ThreadNetnsReturn();
  ThreadNetnsReturn(ThreadNetnsReturn&& other) noexcept;
  ThreadNetnsReturn(const ThreadNetnsReturn&) = delete;
  ThreadNetnsReturn& operator=(const ThreadNetnsReturn&) = delete;
  ThreadNetnsReturn& operator=(ThreadNetnsReturn&&) = delete;

 private:
  int original_ = -1;
};

// Writes a sysctl of the calling thread's own network namespace.
void write_sysctl_here(const std::string& key, const std::string& value);

// /proc/sys/net of the calling thread's namespace, opened once: the kernel's lookup of that
// first component walks one cached entry per network namespace on the machine (they all share
// the parent /proc/sys), so writing several sysctls below it through one directory handle keeps
// a bring-up of N namespaces from costing N² compares.
//
// The entries of every namespace that looked one up stay cached under the /proc/sys of that
// procfs instance, so a thread that writes the sysctls of thousands of new namespaces does so
// through a procfs of its own (PrivateProc), mounted afresh every few dozen namespaces.
class NetSysctls {
 public:
  NetSysctls();
  ~NetSysctls();
  NetSysctls(const NetSysctls&) = delete;
  NetSysctls& operator=(const NetSysctls&) = delete;
  // key below net/, e.g. "ipv4/ip_forward"
  void write(const std::string& key, const std::string& value);

 private:
  int dir_ = -1;
};

// Moves the calling thread into a mount namespace of its own (every mount private, nothing
// propagates back) with a procfs instance of its own on /proc. For a thread that ends
// afterwards: it does not return to the process's mount namespace. Throws when the kernel
// refuses (the caller then keeps the shared /proc).
class PrivateProc {
 public:
  PrivateProc();
  // Replaces the instance with a new one, which has no cached entries.
  void refresh();
};

// Writes a sysctl (path under /proc/sys, e.g. "net/ipv4/ip_forward") inside a namespace.
void write_sysctl(int netns_fd, const std::string& key, const std::string& value);

}  // namespace scalelab::nl
