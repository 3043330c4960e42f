#include "emulator/process/mount_template.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "emulator/locations/locations.h"

namespace scalelab::process {

namespace {

// mountinfo escapes blanks in paths as octal (\040).
std::string unescape_mount_path(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
      out.push_back(static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Mount points of namespace files (nsfs): the netns bind mounts of every cluster, and any other
// tool's (docker's, iproute2's) that are not under the netns directory.
std::vector<std::string> nsfs_mount_points() {
  std::vector<std::string> points;
  std::ifstream in("/proc/thread-self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto dash = line.find(" - ");
    if (dash == std::string::npos) continue;
    std::istringstream head(line.substr(0, dash)), tail(line.substr(dash + 3));
    std::string id, parent, devno, root, point, fstype;
    head >> id >> parent >> devno >> root >> point;
    tail >> fstype;
    if (fstype == "nsfs") points.push_back(unescape_mount_path(point));
  }
  return points;
}

}  // namespace

MountTemplate::MountTemplate() {
  // unshare(CLONE_NEWNS) of one thread needs CLONE_FS too (a thread shares its fs struct with
  // the process); the thread then ends, and the namespace lives on through the fd.
  std::thread maker([this] {
    if (::unshare(CLONE_FS | CLONE_NEWNS) < 0) {
      reason_ = std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
      return;
    }
    // Slave first: an unmount in a namespace whose mounts are shared would also unmount them in
    // this process's own namespace.
    if (::mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) < 0) {
      reason_ = std::string("mount --make-rslave /: ") + std::strerror(errno);
      return;
    }
    // The netns directory is one shared mount holding every cluster's namespace bind mounts:
    // detaching it drops them all in one call.
    if (::umount2(locations::netns_dir().c_str(), MNT_DETACH) == 0) ++detached_;
    for (const auto& point : nsfs_mount_points())
      if (::umount2(point.c_str(), MNT_DETACH) == 0) ++detached_;
    fd_ = ::open("/proc/thread-self/ns/mnt", O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) reason_ = std::string("open /proc/thread-self/ns/mnt: ") + std::strerror(errno);
  });
  maker.join();
}

MountTemplate::~MountTemplate() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace scalelab::process
