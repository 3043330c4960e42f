#pragma once
// Shared by the netlink tests: root check, test-unique namespace names, and a fixture that
// removes every namespace a test made, even when the test failed half-way.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/route_socket.h"

#define SL_REQUIRE_ROOT()                                                                          \
  do {                                                                                              \
    if (geteuid() != 0) GTEST_SKIP() << "needs root: creates network namespaces (run the tests as root)"; \
  } while (0)

namespace scalelab::test {

// "sl-t-<pid>-<n>": unique per process and call, so parallel ctest runs never collide.
inline std::string unique_netns_name(const std::string& tag = "") {
  static std::atomic<int> counter{0};
  return "sl-t-" + std::to_string(getpid()) + "-" + (tag.empty() ? "" : tag + "-") + std::to_string(counter++);
}

inline ino_t inode_of_path(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

inline ino_t inode_of_fd(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

inline ino_t thread_netns_inode() { return inode_of_path("/proc/thread-self/ns/net"); }

inline std::set<std::string> link_names(nl::RouteSocket& socket) {
  std::set<std::string> names;
  for (const auto& l : nl::list_links(socket)) names.insert(l.ifname + "#" + std::to_string(l.ifindex));
  return names;
}

inline std::set<std::string> host_link_names() {
  nl::RouteSocket host(-1);
  return link_names(host);
}

// Every namespace made through make_netns() or named through reserve_name() is removed in
// TearDown, whatever happened in the test.
class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override { SL_REQUIRE_ROOT(); }

  void TearDown() override {
    sockets_.clear();
    namespaces_.clear();  // owned ones remove themselves
    for (const auto& n : reserved_) nl::remove_named_netns(n);
  }

  // A fresh namespace owned by the fixture (its destructor removes it).
  nl::NamedNetns& make_netns(const std::string& tag = "") {
    std::string name = reserve_name(tag);
    namespaces_.push_back(nl::NamedNetns::create(name));
    return namespaces_.back();
  }

  // A name whose /run/netns entry TearDown removes if the test leaves one behind.
  std::string reserve_name(const std::string& tag = "") {
    reserved_.push_back(unique_netns_name(tag));
    return reserved_.back();
  }

  nl::RouteSocket& socket_in(const nl::NamedNetns& ns) {
    sockets_.emplace_back(ns.fd());
    return sockets_.back();
  }

  std::deque<nl::NamedNetns> namespaces_;
  std::deque<nl::RouteSocket> sockets_;
  std::vector<std::string> reserved_;
};

// Two namespaces A and B joined by a veth pair: va0 (ifindex 40) in A, vb0 (ifindex 41) in B,
// both up, MTU 1500.
class VethPairTest : public NetnsTest {
 protected:
  static constexpr int kA0 = 40, kB0 = 41;

  void SetUp() override {
    NetnsTest::SetUp();
    if (IsSkipped()) return;
    a_ = &make_netns("a");
    b_ = &make_netns("b");
    sa_ = &socket_in(*a_);
    sb_ = &socket_in(*b_);
    nl::create_veth(*sa_, {"va0", kA0, 1500, 0}, b_->fd(), {"vb0", kB0, 1500, 0});
    nl::set_link_up(*sb_, kB0, true);
  }

  nl::NamedNetns* a_ = nullptr;
  nl::NamedNetns* b_ = nullptr;
  nl::RouteSocket* sa_ = nullptr;
  nl::RouteSocket* sb_ = nullptr;
};

}  // namespace scalelab::test
