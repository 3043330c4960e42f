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

// Writes a sysctl (path under /proc/sys, e.g. "net/ipv4/ip_forward") inside a namespace.
void write_sysctl(int netns_fd, const std::string& key, const std::string& value);

}  // namespace scalelab::nl
