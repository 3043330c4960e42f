#include "emulator/process/enter_namespace.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace scalelab::process {

std::string enter_node_namespace(const std::string& netns_name) {
  std::string path = "/run/netns/" + netns_name;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno) + " (is the cluster up?)";
  if (setns(fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(fd);
    return "cannot enter " + path + ": " + std::strerror(e);
  }
  close(fd);
  if (unshare(CLONE_NEWNS) < 0) return std::string("cannot create a mount namespace: ") + std::strerror(errno);
  // Keep the host's mounts from seeing ours, then show this namespace's sysfs.
  if (mount("", "/", "none", MS_SLAVE | MS_REC, nullptr) < 0) return std::string("cannot make / a slave mount: ") + std::strerror(errno);
  umount2("/sys", MNT_DETACH);
  if (mount(netns_name.c_str(), "/sys", "sysfs", 0, nullptr) < 0) return std::string("cannot mount sysfs: ") + std::strerror(errno);
  return {};
}

std::string exec_in_namespace(const std::string& netns_name, const std::vector<std::string>& argv) {
  if (argv.empty()) return "no command given";
  if (auto error = enter_node_namespace(netns_name); !error.empty()) return error;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  return "cannot run " + argv[0] + ": " + std::strerror(errno);
}

}  // namespace scalelab::process
