// ProcessGroup's own logic, without root: members launched with no namespace stay in this one.
// Entering a real node's namespace is covered by the netns tier (tests/netns/run_test.cpp).
#include "emulator/process/process_group.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

using namespace scalelab::process;
using namespace std::chrono_literals;

namespace {

struct Collected {
  std::mutex m;
  std::vector<std::string> lines;
};

}  // namespace

TEST(ProcessGroup, StreamsLabelledOutputAndEnvironment) {
  Collected out;
  ProcessGroup group("", [&](std::size_t, const std::string& label, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(label + ":" + line);
  });
  group.launch({"r0", "", {"sh", "-c", "echo hello $RANK"}, {{"RANK", "0"}}});
  group.launch({"r1", "", {"sh", "-c", "echo hello $RANK >&2"}, {{"RANK", "1"}}});
  auto result = group.wait(std::nullopt, true);
  EXPECT_TRUE(result.all_succeeded());
  std::sort(out.lines.begin(), out.lines.end());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"r0:hello 0", "r1:hello 1"}));
}

TEST(ProcessGroup, FirstFailureStopsTheOthers) {
  ProcessGroup group("", [](auto, auto&, auto&) {});
  group.launch({"ok", "", {"sleep", "30"}, {}});
  group.launch({"bad", "", {"sh", "-c", "sleep 0.1; exit 5"}, {}});
  auto started = std::chrono::steady_clock::now();
  auto result = group.wait(std::nullopt, true, 500ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  ASSERT_NE(result.first_failure(), nullptr);
  EXPECT_EQ(result.first_failure()->label, "bad");
  EXPECT_EQ(result.first_failure()->status, 5);
  EXPECT_TRUE(result.members[0].killed_by_us);
  EXPECT_EQ(result.members[0].status, 128 + SIGTERM);
}

TEST(ProcessGroup, DeadlineEndsEveryoneAndRecordsPids) {
  std::string pids = "/tmp/fake-pids-" + std::to_string(getpid());
  std::remove(pids.c_str());
  ProcessGroup group(pids, [](auto, auto&, auto&) {});
  group.launch({"a", "", {"sleep", "30"}, {}});
  group.launch({"b", "", {"sh", "-c", "trap '' TERM; sleep 30"}, {}});
  auto result = group.wait(std::chrono::steady_clock::now() + 200ms, true, 300ms);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.all_succeeded());
  EXPECT_EQ(result.members[1].status, 128 + SIGKILL) << "a member ignoring SIGTERM gets SIGKILL after the grace period";
  std::ifstream in(pids);
  std::vector<pid_t> recorded;
  for (pid_t p; in >> p;) recorded.push_back(p);
  EXPECT_EQ(recorded, group.pids());
}

TEST(ProcessGroup, AMissingNamespaceEndsTheMemberBeforeItsCommandRuns) {
  const std::string marker = "/tmp/process-group-marker-" + std::to_string(getpid());
  std::remove(marker.c_str());
  Collected out;
  ProcessGroup group("", [&](std::size_t, const std::string&, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(line);
  });
  group.launch({"r0", "sl-no-such-cluster-gpu0", {"touch", marker}, {}});
  auto result = group.wait(std::nullopt, true);
  ASSERT_EQ(result.members.size(), 1u);
  EXPECT_EQ(result.members[0].status, 127);
  EXPECT_FALSE(std::ifstream(marker).good()) << "the command ran although its namespace could not be entered";
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0], "scalelab: cannot enter /run/netns/sl-no-such-cluster-gpu0: open: No such file or directory (is the cluster up?)");
}

TEST(ProcessGroup, ACommandNotInPathIsRefusedAtLaunch) {
  ProcessGroup group("", [](auto, auto&, auto&) {});
  EXPECT_THROW(group.launch({"r0", "", {"no-such-command-scalelab-test"}, {}}), std::runtime_error);
  EXPECT_TRUE(group.pids().empty());
}

TEST(ProcessGroup, ManyMembersAreAllReadAndReaped) {
  Collected out;
  ProcessGroup group("", [&](std::size_t member, const std::string&, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(std::to_string(member) + ":" + line);
  });
  constexpr int kMembers = 200;
  for (int i = 0; i < kMembers; ++i)
    group.launch({"m" + std::to_string(i), "", {"sh", "-c", "echo first; sleep 0.$(($RANK % 5)); echo second"},
                  {{"RANK", std::to_string(i)}}});
  auto result = group.wait(std::chrono::steady_clock::now() + 60s, true);
  ASSERT_TRUE(result.all_succeeded());
  std::set<std::string> lines(out.lines.begin(), out.lines.end());
  EXPECT_EQ(out.lines.size(), 2u * kMembers);
  for (int i = 0; i < kMembers; ++i) {
    EXPECT_TRUE(lines.count(std::to_string(i) + ":first")) << i;
    EXPECT_TRUE(lines.count(std::to_string(i) + ":second")) << i;
  }
}

TEST(ProcessGroup, AGrandchildHoldingTheOutputOpenDoesNotHoldTheGroup) {
  Collected out;
  ProcessGroup group("", [&](std::size_t, const std::string&, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(line);
  });
  group.launch({"r0", "", {"sh", "-c", "sleep 30 & echo $!; echo done"}, {}});
  auto started = std::chrono::steady_clock::now();
  auto result = group.wait(std::nullopt, true);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  EXPECT_TRUE(result.all_succeeded());
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_EQ(out.lines[1], "done");
  ::kill(std::stoi(out.lines[0]), SIGKILL);  // the grandchild this test started
}

TEST(ProcessGroup, TakesTheHardOpenFileLimitForAThousandMembers) {
  rlimit l{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &l), 0);
  if (l.rlim_max <= 1024) GTEST_SKIP() << "the hard RLIMIT_NOFILE here is " << l.rlim_max << ": nothing to raise";
  rlimit low = l;
  low.rlim_cur = 1024;  // what a fresh Debian login starts with
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  ProcessGroup group("", [](auto, auto&, auto&) {});
  rlimit now{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, l.rlim_max);
}

TEST(ProcessGroup, AMemberKeepsOnlyTheDescriptorMeantForIt) {
  // Two close-on-exec descriptors of ours: the first member keeps its own across exec, the second
  // member gets neither (a rank must never hold another rank's listening port).
  int a[2], b[2];
  ASSERT_EQ(::pipe2(a, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(b, O_CLOEXEC), 0);
  Collected out;
  ProcessGroup group("", [&](std::size_t, const std::string& label, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(label + ":" + line);
  });
  const std::string probe = "for f in " + std::to_string(a[0]) + " " + std::to_string(b[0]) +
                            "; do if [ -e /proc/self/fd/$f ]; then echo has $f; else echo lacks $f; fi; done";
  LaunchSpec keeps{"keeps", "", {"sh", "-c", probe}, {}};
  keeps.keep_fd = a[0];
  group.launch(keeps);
  group.launch({"other", "", {"sh", "-c", probe}, {}});
  EXPECT_TRUE(group.wait(std::nullopt, true).all_succeeded());
  std::sort(out.lines.begin(), out.lines.end());
  const std::string fa = std::to_string(a[0]), fb = std::to_string(b[0]);
  EXPECT_EQ(out.lines, (std::vector<std::string>{"keeps:has " + fa, "keeps:lacks " + fb, "other:lacks " + fa,
                                                  "other:lacks " + fb}));
  EXPECT_EQ(::fcntl(a[0], F_GETFD), FD_CLOEXEC) << "the launcher's own copy stays close-on-exec";
  for (int fd : {a[0], a[1], b[0], b[1]}) ::close(fd);
}
