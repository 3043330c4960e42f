#include "emulator/rootless/session.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace scalelab::rootless {
namespace {
namespace fs = std::filesystem;

unsigned long long inode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// The kernel decides whether this user may make user namespaces; a case that cannot says so.
bool user_namespaces_allowed(std::string* why) {
  pid_t pid = fork();
  if (pid == 0) _exit(unshare(CLONE_NEWUSER) == 0 ? 0 : 1);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  *why = "this kernel refuses this user a user namespace (see /proc/sys/user/max_user_namespaces)";
  return false;
}

bool gone(int pid) {
  for (int i = 0; i < 200; ++i) {
    // The holder is this test's child: reap it so it does not linger as a zombie.
    waitpid(pid, nullptr, WNOHANG);
    if (kill(pid, 0) != 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

class SessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!user_namespaces_allowed(&why)) GTEST_SKIP() << why;
    base_ = fs::temp_directory_path() / ("scalelab-session-test-" + std::to_string(getpid()) + "-" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(base_);
  }
  void TearDown() override {
    if (base_.empty()) return;
    if (session_)
      if (auto h = session_->live_holder()) {
        session_->end(*h);
        gone(h->pid);
      }
    session_.reset();
    fs::remove_all(base_);
  }
  Session& session() {
    if (!session_) session_ = std::make_unique<Session>(base_);
    return *session_;
  }
  std::string base_;
  std::unique_ptr<Session> session_;
};

TEST_F(SessionTest, StartsOneHolderInAUserNamespaceOfItsOwn) {
  std::vector<std::string> notes;
  Holder h = session().ensure_holder(&notes);
  EXPECT_TRUE(notes.empty());
  ASSERT_GT(h.pid, 0);
  EXPECT_EQ(h.start_time, process_start_time(h.pid));
  EXPECT_NE(h.userns_inode, inode_of("/proc/self/ns/user"));
  EXPECT_TRUE(fs::exists(base_ + "/holder.json"));
  EXPECT_EQ((fs::status(base_).permissions() & fs::perms::all), fs::perms::owner_all);
  // A second command finds the same holder instead of starting another.
  Session again(base_);
  EXPECT_EQ(again.ensure_holder(&notes).pid, h.pid);
  EXPECT_EQ(again.live_holder()->userns_inode, h.userns_inode);
  EXPECT_TRUE(notes.empty());
}

TEST_F(SessionTest, AJoinedProcessIsRootOverItsOwnNamespacesOnly) {
  Holder h = session().ensure_holder(nullptr);
  pid_t child = fork();
  if (child == 0) {
    try {
      Session inside(base_);
      const fs::path before = fs::current_path();
      inside.join(h);
      if (getuid() != 0) _exit(2);
      if (inode_of("/proc/self/ns/user") != h.userns_inode) _exit(3);
      if (fs::current_path() != before) _exit(4);
      if (unshare(CLONE_NEWNET) != 0) _exit(5);  // CAP_SYS_ADMIN over the session's own namespaces
      // …and no more than that on the host: the host's sysctls stay out of reach.
      std::ofstream host("/proc/sys/net/ipv4/neigh/default/gc_thresh1");
      host << "1\n";
      host.flush();
      if (host) _exit(6);
      _exit(0);
    } catch (...) {
      _exit(7);
    }
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(SessionTest, AnIdleHolderIsReleasedAndABusyOneKept) {
  Holder h = session().ensure_holder(nullptr);
  fs::create_directories(base_ + "/clusters/c1");
  EXPECT_FALSE(session().release_if_idle());
  EXPECT_TRUE(session().live_holder().has_value());
  fs::remove_all(base_ + "/clusters/c1");
  EXPECT_TRUE(session().release_if_idle());
  EXPECT_TRUE(gone(h.pid));
  EXPECT_FALSE(session().live_holder().has_value());
  EXPECT_FALSE(fs::exists(base_ + "/holder.json"));
}

TEST_F(SessionTest, ADeadHoldersProcessesAndRecordsAreRemoved) {
  Holder h = session().ensure_holder(nullptr);
  // A rank left running in the session, as agents are.
  pid_t rank = fork();
  if (rank == 0) {
    Session inside(base_);
    inside.join(h);
    for (;;) pause();
  }
  for (int i = 0; i < 200 && inode_of("/proc/" + std::to_string(rank) + "/ns/user") != h.userns_inode; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(inode_of("/proc/" + std::to_string(rank) + "/ns/user"), h.userns_inode);
  fs::create_directories(base_ + "/clusters/c1");
  std::ofstream(base_ + "/netns/sl-c1-gpu0").close();
  kill(h.pid, SIGKILL);
  ASSERT_TRUE(gone(h.pid));

  std::vector<std::string> notes;
  Holder fresh = session().ensure_holder(&notes);
  EXPECT_NE(fresh.pid, h.pid);
  int status = 0;
  ASSERT_EQ(waitpid(rank, &status, 0), rank);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(fs::is_empty(base_ + "/clusters"));
  EXPECT_TRUE(fs::is_empty(base_ + "/netns"));
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("c1"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("1 process"), std::string::npos) << notes[0];
}

TEST_F(SessionTest, ACommandOfADeadSessionHoldingTheLockIsStoppedNotWaitedFor) {
  Holder h = session().ensure_holder(nullptr);
  // A `scalelab run` of the session: it keeps the lock shared while its ranks run, for good here.
  pid_t command = fork();
  if (command == 0) {
    Session inside(base_);
    Holder joined = inside.ensure_holder(nullptr);
    inside.join(joined);
    for (;;) pause();
  }
  for (int i = 0; i < 200 && inode_of("/proc/" + std::to_string(command) + "/ns/user") != h.userns_inode; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(inode_of("/proc/" + std::to_string(command) + "/ns/user"), h.userns_inode);
  kill(h.pid, SIGKILL);
  ASSERT_TRUE(gone(h.pid));

  // The command would never end on its own: that this returns at all is the point.
  Holder fresh = session().ensure_holder(nullptr);
  EXPECT_NE(fresh.pid, h.pid);
  int status = 0;
  ASSERT_EQ(waitpid(command, &status, 0), command);
  EXPECT_TRUE(WIFSIGNALED(status));
}

TEST_F(SessionTest, EndStopsTheHolderAndEverythingInIt) {
  Holder h = session().ensure_holder(nullptr);
  auto stopped = session().end(h);
  EXPECT_NE(std::find(stopped.begin(), stopped.end(), h.pid), stopped.end());
  EXPECT_TRUE(gone(h.pid));
  EXPECT_FALSE(fs::exists(base_ + "/holder.json"));
}

TEST_F(SessionTest, ABaseOfAnotherUserIsRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root: makes a directory owned by another user";
  fs::create_directories(base_);
  ASSERT_EQ(chown(base_.c_str(), 65534, 65534), 0);
  try {
    Session s(base_);
    FAIL() << "accepted a directory of uid 65534";
  } catch (const RootlessError& e) {
    EXPECT_NE(std::string(e.what()).find("XDG_RUNTIME_DIR"), std::string::npos) << e.what();
  }
}

TEST(ProcessStartTime, IsKnownForLiveProcessesOnly) {
  EXPECT_GT(process_start_time(getpid()), 0u);
  EXPECT_EQ(process_start_time(0), 0u);
  EXPECT_EQ(process_start_time(-1), 0u);
}

}  // namespace
}  // namespace scalelab::rootless
