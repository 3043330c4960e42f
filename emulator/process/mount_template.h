#pragma once
// The mount namespace a launch's members copy when they enter their nodes: this process's mounts
// less every network-namespace bind mount. A rank needs a private mount namespace (its own /sys
// and /etc/hosts), and unshare(CLONE_NEWNS) copies every mount of the one it is in. With a
// 1024-GPU cluster up the machine has ~1200 mounts, 1024 of them /run/netns bind mounts, so
// each rank's copy (and later its teardown when the rank exits) cost milliseconds that a copy
// of this template's ~150 mounts does not.
#include <string>

namespace scalelab::process {

class MountTemplate {
 public:
  // Made by a thread of its own (this process's own mounts are untouched). Never throws: when the
  // template cannot be made (no CAP_SYS_ADMIN, say) valid() is false, reason() says why, and the
  // members copy this process's mount namespace as before.
  MountTemplate();
  ~MountTemplate();
  MountTemplate(const MountTemplate&) = delete;
  MountTemplate& operator=(const MountTemplate&) = delete;

  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }  // an fd of the template's mount namespace, for setns(); -1 if none
  const std::string& reason() const { return reason_; }
  int mounts_detached() const { return detached_; }

 private:
  int fd_ = -1;
  int detached_ = 0;
  std::string reason_;
};

}  // namespace scalelab::process
