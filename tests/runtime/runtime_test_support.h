#pragma once
// Shared by the runtime tests: root check, test-unique cluster and namespace names, and a fixture
// that removes every cluster directory, namespace and child process a test made, even when the
// test failed half-way.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "emulator/netlink/netns.h"
#include "emulator/runtime/cluster_dir.h"

#define SL_REQUIRE_ROOT()                                                                                 \
  do {                                                                                                     \
    if (geteuid() != 0) GTEST_SKIP() << "needs root: writes " << scalelab::locations::state_root()             \
                                     << " and creates network namespaces (run the tests as root)";         \
  } while (0)

namespace scalelab::test {

inline int next_serial() {
  static std::atomic<int> counter{0};
  return counter++;
}

// "t<pid>x<n>": unique per process and call.
inline std::string unique_cluster_name() { return "t" + std::to_string(getpid()) + "x" + std::to_string(next_serial()); }
// "sl-t-<pid>-<n>".
inline std::string unique_netns_name() { return "sl-t-" + std::to_string(getpid()) + "-" + std::to_string(next_serial()); }

inline ino_t inode_of_path(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

inline bool is_directory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { SL_REQUIRE_ROOT(); }

  void TearDown() override {
    for (pid_t pid : children_) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    for (const auto& c : clusters_)
      if (auto dir = runtime::ClusterDir::open(c)) dir->remove();
    for (const auto& n : namespaces_) nl::remove_named_netns(n);
  }

  std::string new_cluster_name() {
    clusters_.push_back(unique_cluster_name());
    return clusters_.back();
  }

  // A named namespace that outlives its NamedNetns (kept), removed again in TearDown.
  std::string new_kept_netns() {
    namespaces_.push_back(unique_netns_name());
    nl::NamedNetns::create(namespaces_.back()).keep();
    return namespaces_.back();
  }

  std::string reserve_netns_name() {
    namespaces_.push_back(unique_netns_name());
    return namespaces_.back();
  }

  // Forks `sleep 30`, inside the namespace when netns_fd >= 0, and waits until it runs there.
  pid_t start_sleeper(int netns_fd = -1) {
    ino_t want = netns_fd >= 0 ? fd_inode(netns_fd) : inode_of_path("/proc/self/ns/net");
    pid_t pid = fork();
    if (pid == 0) {
      if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0) _exit(126);
      execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
      _exit(127);
    }
    if (pid < 0) return -1;
    children_.push_back(pid);
    const std::string proc = "/proc/" + std::to_string(pid);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (read_file(proc + "/comm") == "sleep\n" && inode_of_path(proc + "/ns/net") == want) return pid;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ADD_FAILURE() << "sleeper " << pid << " did not start in the expected namespace";
    return pid;
  }

  // waitpid with a time bound; returns the status, or -1 when the child is still running.
  static int wait_exit(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return status;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (std::chrono::steady_clock::now() < deadline);
    return -1;
  }

  void forget_child(pid_t pid) { std::erase(children_, pid); }

  static ino_t fd_inode(int fd) {
    struct stat st {};
    return fstat(fd, &st) == 0 ? st.st_ino : 0;
  }

  std::vector<std::string> clusters_, namespaces_;
  std::vector<pid_t> children_;
};

}  // namespace scalelab::test
