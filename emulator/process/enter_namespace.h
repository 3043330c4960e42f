#pragma once
// Moves the calling process into a node's network namespace the way `ip netns exec` does: a
// private mount namespace with /sys remounted, so sysfs (and rxe GIDs under
// /sys/class/infiniband) shows the node's own interfaces. Optionally gives it the node's own
// identity, as a container has: a UTS namespace with the node's hostname, and the cluster's
// hosts file bind-mounted over /etc/hosts (both private to this process and its children).
// Call it in a child before exec.
#include <string>
#include <vector>

namespace scalelab::process {

// The steps of entering a node's namespace, with every string built up front: a child forked
// from a multi-threaded parent (the launcher has reader threads) may only make system calls
// between fork and exec, so enter() allocates nothing.
struct NodeIdentity {
  std::string hostname;    // the UTS hostname (the node's name); empty: keep the host's
  std::string hosts_file;  // bind-mounted over /etc/hosts; empty: keep the host's
};

class NamespaceEntry {
 public:
  static constexpr const char* kBindHostsStep = "bind-mount the cluster's hosts file over /etc/hosts";
  explicit NamespaceEntry(std::string netns_name, NodeIdentity identity = {});
  // Copy this mount namespace (a MountTemplate's fd) instead of the caller's own; the working
  // directory is kept by path. The fd must stay open until enter() has run.
  void copy_mounts_of(int mount_namespace_fd, std::string working_directory);
  const std::string& netns_name() const { return name_; }
  const std::string& path() const { return path_; }  // /run/netns/<name>
  const NodeIdentity& identity() const { return identity_; }
  // nullptr on success; otherwise the step that failed ("open", "setns", …) with errno set.
  // Async-signal-safe.
  const char* enter() const noexcept;
  // "cannot enter /run/netns/x: open: No such file or directory (is the cluster up?)"
  std::string failure_message(const char* step, int err) const;
  // Writes failure_message to fd 2 without allocating (in a forked child).
  void report_failure(const char* step, int err) const noexcept;

 private:
  std::string name_, path_;
  NodeIdentity identity_;
  int mount_template_fd_ = -1;
  std::string cwd_;
};

// Returns an error message, or empty on success.
std::string enter_node_namespace(const std::string& netns_name, const NodeIdentity& identity = {});

// Replaces this process with argv inside the namespace. Returns only on failure (message).
std::string exec_in_namespace(const std::string& netns_name, const std::vector<std::string>& argv, const NodeIdentity& identity = {});

}  // namespace scalelab::process
