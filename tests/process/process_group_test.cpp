// ProcessGroup runs its members through `scalelab exec`; here a stand-in script plays that
// binary (it drops "exec NODE --" and runs the rest), so the group logic runs without root.
#include "emulator/process/process_group.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <mutex>

using namespace scalelab::process;
using namespace std::chrono_literals;

namespace {

std::string fake_scalelab() {
  static std::string path = [] {
    std::string p = "/tmp/fake-scalelab-" + std::to_string(getpid());
    std::ofstream(p) << "#!/bin/sh\n[ \"$1\" = exec ] || exit 99\nshift 3\nexec \"$@\"\n";
    chmod(p.c_str(), 0755);
    return p;
  }();
  return path;
}

struct Collected {
  std::mutex m;
  std::vector<std::string> lines;
};

}  // namespace

TEST(ProcessGroup, StreamsLabelledOutputAndEnvironment) {
  Collected out;
  ProcessGroup group(fake_scalelab(), "", [&](std::size_t, const std::string& label, const std::string& line) {
    std::lock_guard l(out.m);
    out.lines.push_back(label + ":" + line);
  });
  group.launch({"r0", "c/gpu0", {"sh", "-c", "echo hello $RANK"}, {{"RANK", "0"}}});
  group.launch({"r1", "c/gpu1", {"sh", "-c", "echo hello $RANK >&2"}, {{"RANK", "1"}}});
  auto result = group.wait(std::nullopt, true);
  EXPECT_TRUE(result.all_succeeded());
  std::sort(out.lines.begin(), out.lines.end());
  EXPECT_EQ(out.lines, (std::vector<std::string>{"r0:hello 0", "r1:hello 1"}));
}

TEST(ProcessGroup, FirstFailureStopsTheOthers) {
  ProcessGroup group(fake_scalelab(), "", [](auto, auto&, auto&) {});
  group.launch({"ok", "c/a", {"sleep", "30"}, {}});
  group.launch({"bad", "c/b", {"sh", "-c", "sleep 0.1; exit 5"}, {}});
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
  ProcessGroup group(fake_scalelab(), pids, [](auto, auto&, auto&) {});
  group.launch({"a", "c/a", {"sleep", "30"}, {}});
  group.launch({"b", "c/b", {"sh", "-c", "trap '' TERM; sleep 30"}, {}});
  auto result = group.wait(std::chrono::steady_clock::now() + 200ms, true, 300ms);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.all_succeeded());
  EXPECT_EQ(result.members[1].status, 128 + SIGKILL) << "a member ignoring SIGTERM gets SIGKILL after the grace period";
  std::ifstream in(pids);
  std::vector<pid_t> recorded;
  for (pid_t p; in >> p;) recorded.push_back(p);
  EXPECT_EQ(recorded, group.pids());
}
