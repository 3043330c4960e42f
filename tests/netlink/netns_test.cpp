#include "emulator/netlink/netns.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#include "emulator/netlink/error.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

using test::inode_of_fd;
using test::inode_of_path;
using test::thread_netns_inode;

std::string run_path(const std::string& name) { return locations::netns_dir() + "/" + name; }

class NamedNetnsTest : public test::NetnsTest {};

TEST_F(NamedNetnsTest, CreateMakesRunNetnsEntryBoundToANewNamespace) {
  std::string name = reserve_name();
  NamedNetns ns = NamedNetns::create(name);
  EXPECT_EQ(ns.name(), name);
  ASSERT_GE(ns.fd(), 0);
  EXPECT_TRUE(named_netns_exists(name));
  ino_t at_path = inode_of_path(run_path(name));
  ASSERT_NE(at_path, 0u) << run_path(name) << " missing";
  EXPECT_EQ(at_path, inode_of_fd(ns.fd())) << "the bind mount and the fd are different namespaces";
  EXPECT_NE(at_path, thread_netns_inode()) << "create must not hand back the caller's namespace";
  // The calling thread is back where it was.
  EXPECT_EQ(thread_netns_inode(), inode_of_path("/proc/self/ns/net"));
}

TEST_F(NamedNetnsTest, TwoCreatesMakeTwoDistinctNamespaces) {
  NamedNetns& a = make_netns();
  NamedNetns& b = make_netns();
  EXPECT_NE(inode_of_fd(a.fd()), inode_of_fd(b.fd()));
}

TEST_F(NamedNetnsTest, SecondCreateOfTheSameNameFailsWithEexistAndKeepsTheFirst) {
  std::string name = reserve_name();
  NamedNetns first = NamedNetns::create(name);
  ino_t ino = inode_of_fd(first.fd());
  try {
    NamedNetns second = NamedNetns::create(name);
    FAIL() << "second create of " << name << " succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), EEXIST) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
  EXPECT_TRUE(named_netns_exists(name));
  EXPECT_EQ(inode_of_path(run_path(name)), ino) << "the failed create disturbed the existing namespace";
}

TEST_F(NamedNetnsTest, DestructorRemovesTheNamespace) {
  std::string name = reserve_name();
  { NamedNetns ns = NamedNetns::create(name); ASSERT_TRUE(named_netns_exists(name)); }
  EXPECT_FALSE(named_netns_exists(name));
  EXPECT_FALSE(remove_named_netns(name));
}

TEST_F(NamedNetnsTest, KeepLeavesItInPlace) {
  std::string name = reserve_name();
  ino_t ino;
  {
    NamedNetns ns = NamedNetns::create(name);
    ino = inode_of_fd(ns.fd());
    ns.keep();
  }
  EXPECT_TRUE(named_netns_exists(name));
  EXPECT_EQ(inode_of_path(run_path(name)), ino);
  EXPECT_TRUE(remove_named_netns(name));
  EXPECT_FALSE(named_netns_exists(name));
}

TEST_F(NamedNetnsTest, MovedFromObjectDoesNotRemoveAndMovedToDoes) {
  std::string name = reserve_name();
  {
    NamedNetns original = NamedNetns::create(name);
    int fd = original.fd();
    NamedNetns moved(std::move(original));
    EXPECT_EQ(moved.fd(), fd);
    EXPECT_EQ(moved.name(), name);
    EXPECT_EQ(original.fd(), -1);  // NOLINT(bugprone-use-after-move)
    { NamedNetns dead(std::move(original)); }  // an empty object dies without effect
    EXPECT_TRUE(named_netns_exists(name));
  }
  EXPECT_FALSE(named_netns_exists(name)) << "the moved-to object should have removed it";
}

TEST_F(NamedNetnsTest, MoveAssignmentReleasesTheOldTarget) {
  std::string n1 = reserve_name(), n2 = reserve_name();
  {
    NamedNetns a = NamedNetns::create(n1);
    NamedNetns b = NamedNetns::create(n2);
    a = std::move(b);  // a's old namespace (n1) is owned and goes away now
    EXPECT_FALSE(named_netns_exists(n1));
    EXPECT_TRUE(named_netns_exists(n2));
    EXPECT_EQ(a.name(), n2);
    EXPECT_GE(a.fd(), 0);
  }
  EXPECT_FALSE(named_netns_exists(n2));
}

TEST_F(NamedNetnsTest, OpenOfAMissingNamespaceThrows) {
  std::string name = reserve_name("missing");
  try {
    NamedNetns ns = NamedNetns::open(name);
    FAIL() << "open of missing " << name << " succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), ENOENT) << e.what();
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
  }
}

TEST_F(NamedNetnsTest, OpenOfAnExistingOneSharesItButDoesNotOwnIt) {
  NamedNetns& created = make_netns();
  {
    NamedNetns opened = NamedNetns::open(created.name());
    EXPECT_EQ(opened.name(), created.name());
    EXPECT_NE(opened.fd(), created.fd());
    EXPECT_EQ(inode_of_fd(opened.fd()), inode_of_fd(created.fd()));
  }
  EXPECT_TRUE(named_netns_exists(created.name())) << "an opened namespace must not be removed by its destructor";
}

TEST_F(NamedNetnsTest, ListFiltersByPrefixAndSorts) {
  std::string prefix = test::unique_netns_name("list") + "-";
  for (const char* suffix : {"b", "c", "a"}) {
    reserved_.push_back(prefix + suffix);
    NamedNetns::create(prefix + suffix).keep();
  }
  std::vector<std::string> expected{prefix + "a", prefix + "b", prefix + "c"};
  EXPECT_EQ(list_named_netns(prefix), expected);
  EXPECT_EQ(list_named_netns(prefix + "b"), std::vector<std::string>{prefix + "b"});
  EXPECT_TRUE(list_named_netns(prefix + "z").empty());
  // The empty prefix lists everything, ours included.
  auto all = list_named_netns("");
  for (const auto& n : expected) EXPECT_NE(std::find(all.begin(), all.end(), n), all.end()) << n;
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
}

TEST_F(NamedNetnsTest, RemoveReturnsFalseTheSecondTime) {
  std::string name = reserve_name();
  NamedNetns::create(name).keep();
  EXPECT_TRUE(remove_named_netns(name));
  EXPECT_FALSE(named_netns_exists(name));
  EXPECT_FALSE(remove_named_netns(name));
  EXPECT_TRUE(list_named_netns(name).empty());
}

TEST_F(NamedNetnsTest, RemovedNamespaceCanBeCreatedAgain) {
  std::string name = reserve_name();
  NamedNetns::create(name).keep();
  ASSERT_TRUE(remove_named_netns(name));
  EXPECT_NO_THROW(NamedNetns::create(name));  // and the temporary removes it again
  EXPECT_FALSE(named_netns_exists(name));
}

class ThreadNetnsGuardTest : public test::NetnsTest {};

TEST_F(ThreadNetnsGuardTest, EntersTheNamespaceAndReturns) {
  NamedNetns& ns = make_netns();
  const ino_t original = thread_netns_inode();
  const ino_t target = inode_of_fd(ns.fd());
  ASSERT_NE(original, target);
  {
    ThreadNetnsGuard guard(ns.fd());
    EXPECT_EQ(thread_netns_inode(), target);
  }
  EXPECT_EQ(thread_netns_inode(), original);
}

TEST_F(ThreadNetnsGuardTest, NestsAndUnwindsInOrder) {
  NamedNetns& a = make_netns();
  NamedNetns& b = make_netns();
  const ino_t original = thread_netns_inode();
  {
    ThreadNetnsGuard into_a(a.fd());
    EXPECT_EQ(thread_netns_inode(), inode_of_fd(a.fd()));
    {
      ThreadNetnsGuard into_b(b.fd());
      EXPECT_EQ(thread_netns_inode(), inode_of_fd(b.fd()));
    }
    EXPECT_EQ(thread_netns_inode(), inode_of_fd(a.fd()));
  }
  EXPECT_EQ(thread_netns_inode(), original);
}

TEST_F(ThreadNetnsGuardTest, WorkerThreadInsideLeavesMainThreadAlone) {
  NamedNetns& ns = make_netns();
  const ino_t original = thread_netns_inode();
  ino_t inside = 0, after = 0, main_meanwhile = 0;
  std::atomic<bool> entered{false}, release{false};
  std::thread worker([&] {
    {
      ThreadNetnsGuard guard(ns.fd());
      inside = thread_netns_inode();
      entered = true;
      while (!release) std::this_thread::yield();
    }
    after = thread_netns_inode();
  });
  while (!entered) std::this_thread::yield();
  main_meanwhile = thread_netns_inode();
  release = true;
  worker.join();
  EXPECT_EQ(inside, inode_of_fd(ns.fd()));
  EXPECT_EQ(after, original);
  EXPECT_EQ(main_meanwhile, original);
}

TEST_F(ThreadNetnsGuardTest, InvalidFdThrowsAndStaysPut) {
  const ino_t original = thread_netns_inode();
  EXPECT_THROW(ThreadNetnsGuard guard(-1), NetlinkError);
  int not_a_namespace = ::open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(not_a_namespace, 0);
  try {
    ThreadNetnsGuard guard(not_a_namespace);
    ADD_FAILURE() << "entering a non-namespace fd succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), EINVAL) << e.what();
  }
  ::close(not_a_namespace);
  EXPECT_EQ(thread_netns_inode(), original);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

class WriteSysctlTest : public test::NetnsTest {};

TEST_F(WriteSysctlTest, IpForwardInsideANamespaceOnly) {
  NamedNetns& ns = make_netns();
  const std::string key = "net/ipv4/ip_forward";
  const std::string host_before = read_first_line("/proc/sys/" + key);
  ASSERT_FALSE(host_before.empty());
  std::string inside_before;
  {
    ThreadNetnsGuard in(ns.fd());
    inside_before = read_first_line("/proc/sys/" + key);
  }
  EXPECT_EQ(inside_before, "0") << "a fresh namespace starts with forwarding off";

  write_sysctl(ns.fd(), key, "1");

  std::string inside_after;
  {
    ThreadNetnsGuard in(ns.fd());
    inside_after = read_first_line("/proc/sys/" + key);
  }
  EXPECT_EQ(inside_after, "1");
  EXPECT_EQ(read_first_line("/proc/sys/" + key), host_before) << "the host's value changed";
  EXPECT_EQ(thread_netns_inode(), inode_of_path("/proc/self/ns/net")) << "write_sysctl left the thread inside";
}

TEST_F(WriteSysctlTest, PerInterfaceKeyInsideANamespace) {
  NamedNetns& ns = make_netns();
  // lo exists in every namespace; its conf directory is per namespace.
  const std::string key = "net/ipv4/conf/lo/rp_filter";
  const std::string host_before = read_first_line("/proc/sys/" + key);
  std::string target = host_before == "2" ? "1" : "2";
  write_sysctl(ns.fd(), key, target);
  std::string inside;
  {
    ThreadNetnsGuard in(ns.fd());
    inside = read_first_line("/proc/sys/" + key);
  }
  EXPECT_EQ(inside, target);
  EXPECT_EQ(read_first_line("/proc/sys/" + key), host_before);
}

TEST_F(WriteSysctlTest, UnknownKeyThrowsAndReturnsToTheHost) {
  NamedNetns& ns = make_netns();
  const ino_t original = thread_netns_inode();
  try {
    write_sysctl(ns.fd(), "net/ipv4/no_such_key_here", "1");
    FAIL() << "write_sysctl of an unknown key succeeded";
  } catch (const NetlinkError& e) {
    EXPECT_EQ(e.code(), ENOENT) << e.what();
    EXPECT_NE(std::string(e.what()).find("/proc/sys/net/ipv4/no_such_key_here"), std::string::npos) << e.what();
  }
  EXPECT_EQ(thread_netns_inode(), original);
}

TEST_F(WriteSysctlTest, InvalidValueThrows) {
  NamedNetns& ns = make_netns();
  EXPECT_THROW(write_sysctl(ns.fd(), "net/ipv4/ip_forward", "not-a-number"), NetlinkError);
}

}  // namespace
}  // namespace scalelab::nl
