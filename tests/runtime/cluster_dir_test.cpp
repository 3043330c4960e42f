#include "emulator/runtime/cluster_dir.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime_test_support.h"

namespace scalelab::runtime {
namespace {

class ClusterDirTest : public test::RuntimeTest {};

std::string claim_failure(const std::string& cluster) {
  try {
    ClusterDir::claim(cluster);
  } catch (const ClusterExists& e) {
    return e.what();
  }
  return "";
}

pid_t reaped_child_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST_F(ClusterDirTest, ClaimCreatesTheDirectory) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  EXPECT_EQ(dir.cluster(), name);
  const std::string root = locations::state_root() + "/" + name;
  EXPECT_TRUE(test::is_directory(root));
  EXPECT_EQ(dir.path("journal"), root + "/journal");
  EXPECT_EQ(dir.path("state.json"), root + "/state.json");
  auto opened = ClusterDir::open(name);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->cluster(), name);
  EXPECT_EQ(opened->path("pids"), root + "/pids");
}

TEST_F(ClusterDirTest, OpenOfAMissingClusterIsNullopt) {
  EXPECT_FALSE(ClusterDir::open(test::unique_cluster_name()));
}

TEST_F(ClusterDirTest, ClaimTwiceThrowsClusterExistsThatNamesTheClusterAndTheFix) {
  std::string name = new_cluster_name();
  ClusterDir::claim(name);
  EXPECT_THROW(ClusterDir::claim(name), ClusterExists);
  std::string message = claim_failure(name);
  EXPECT_NE(message.find("\"" + name + "\""), std::string::npos) << message;
  EXPECT_NE(message.find("scalelab down " + name), std::string::npos) << message;
  EXPECT_TRUE(ClusterDir::open(name)) << "the failed claim must not disturb the existing directory";
}

TEST_F(ClusterDirTest, ClaimOverAnInterruptedBringUpSaysInterrupted) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  const pid_t dead = reaped_child_pid();
  ASSERT_FALSE(process_alive(dead));
  dir.write_json("state.json", {{"pid", dead}, {"state", "creating"}});
  std::string message = claim_failure(name);
  EXPECT_NE(message.find("interrupted"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(dead)), std::string::npos) << message;
  EXPECT_NE(message.find("scalelab down " + name), std::string::npos) << message;
}

TEST_F(ClusterDirTest, ClaimDuringALiveBringUpSaysSo) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  dir.write_json("state.json", {{"pid", getpid()}, {"state", "creating"}});
  std::string message = claim_failure(name);
  EXPECT_NE(message.find("right now"), std::string::npos) << message;
  EXPECT_NE(message.find(std::to_string(getpid())), std::string::npos) << message;
  EXPECT_EQ(message.find("interrupted"), std::string::npos) << message;
}

TEST_F(ClusterDirTest, ClaimOfAClusterThatIsUpSaysSinceWhenAndFromWhat) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  dir.write_json("state.json", {{"pid", getpid()}, {"state", "up"}, {"started", "2030-01-02T03:04:05Z"}, {"source", "topologies/x.yaml"}});
  std::string message = claim_failure(name);
  EXPECT_NE(message.find("2030-01-02T03:04:05Z"), std::string::npos) << message;
  EXPECT_NE(message.find("topologies/x.yaml"), std::string::npos) << message;
}

TEST_F(ClusterDirTest, ClaimWithACorruptStateStillNamesTheFix) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  std::ofstream(dir.path("state.json")) << "{\"pid\": 12";
  std::string message = claim_failure(name);
  EXPECT_NE(message.find("scalelab down " + name), std::string::npos) << message;
}

TEST_F(ClusterDirTest, JournalReadsBackInOrder) {
  ClusterDir dir = ClusterDir::claim(new_cluster_name());
  EXPECT_TRUE(dir.journaled_netns().empty()) << "no journal yet";
  dir.journal_netns("sl-x-a");
  dir.journal_netns("sl-x-c");
  dir.journal_netns("sl-x-b");
  EXPECT_EQ(dir.journaled_netns(), (std::vector<std::string>{"sl-x-a", "sl-x-c", "sl-x-b"}));
  EXPECT_EQ(test::read_file(dir.path("journal")), "netns sl-x-a\nnetns sl-x-c\nnetns sl-x-b\n");
  // Another handle on the same directory reads the same journal and appends to it.
  auto other = ClusterDir::open(dir.cluster());
  ASSERT_TRUE(other);
  other->journal_netns("sl-x-d");
  EXPECT_EQ(dir.journaled_netns(), (std::vector<std::string>{"sl-x-a", "sl-x-c", "sl-x-b", "sl-x-d"}));
}

TEST_F(ClusterDirTest, JournalFromManyThreadsHasNoTornLinesAndKeepsEachThreadsOrder) {
  ClusterDir dir = ClusterDir::claim(new_cluster_name());
  auto second_handle = ClusterDir::open(dir.cluster());  // its own mutex: relies on O_APPEND alone
  ASSERT_TRUE(second_handle);
  constexpr int kThreads = 8, kPerThread = 250;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      ClusterDir& target = t % 2 ? *second_handle : dir;
      for (int i = 0; i < kPerThread; ++i) target.journal_netns("sl-j" + std::to_string(t) + "-" + std::to_string(i) + "-padding-padding");
    });
  for (auto& th : threads) th.join();

  std::istringstream raw(test::read_file(dir.path("journal")));
  const std::regex line_pattern(R"(netns sl-j(\d+)-(\d+)-padding-padding)");
  std::map<int, int> next_expected;
  int lines = 0;
  for (std::string line; std::getline(raw, line); ++lines) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, line_pattern)) << "torn or garbled line " << lines << ": " << line;
    int t = std::stoi(m[1]), i = std::stoi(m[2]);
    EXPECT_EQ(i, next_expected[t]) << "thread " << t << " out of order";
    next_expected[t] = i + 1;
  }
  EXPECT_EQ(lines, kThreads * kPerThread);
  auto names = dir.journaled_netns();
  EXPECT_EQ(names.size(), static_cast<std::size_t>(kThreads * kPerThread));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "a line appears twice";
}

TEST_F(ClusterDirTest, JournaledNetnsIgnoresOtherRecordKinds) {
  ClusterDir dir = ClusterDir::claim(new_cluster_name());
  dir.journal_netns("sl-a");
  std::ofstream(dir.path("journal"), std::ios::app) << "bridge br0\n";
  dir.journal_netns("sl-b");
  EXPECT_EQ(dir.journaled_netns(), (std::vector<std::string>{"sl-a", "sl-b"}));
}

TEST_F(ClusterDirTest, WriteJsonReadJsonRoundTrip) {
  ClusterDir dir = ClusterDir::claim(new_cluster_name());
  nlohmann::json value = {{"pid", 1234},
                          {"state", "up"},
                          {"nested", {{"list", {1, 2, 3}}, {"text", "ünïcode \"quoted\""}}},
                          {"rate", 1.5e11},
                          {"flag", true},
                          {"nothing", nullptr}};
  dir.write_json("state.json", value);
  auto back = dir.read_json("state.json");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, value);
  EXPECT_NE(test::inode_of_path(dir.path("state.json")), 0u);
  EXPECT_EQ(test::inode_of_path(dir.path("state.json.tmp")), 0u) << "temporary file left behind";

  dir.write_json("state.json", {{"state", "creating"}});  // overwrite
  back = dir.read_json("state.json");
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, (nlohmann::json{{"state", "creating"}}));
}

TEST_F(ClusterDirTest, ReadJsonOfMissingOrCorruptFileIsNullopt) {
  ClusterDir dir = ClusterDir::claim(new_cluster_name());
  EXPECT_FALSE(dir.read_json("absent.json"));
  std::ofstream(dir.path("half.json")) << "{\"pid\": 12, \"state\": \"cre";
  EXPECT_FALSE(dir.read_json("half.json"));
  std::ofstream(dir.path("empty.json")).flush();
  EXPECT_FALSE(dir.read_json("empty.json"));
}

TEST_F(ClusterDirTest, WriteJsonIntoARemovedDirectoryThrows) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  dir.remove();
  EXPECT_ANY_THROW(dir.write_json("state.json", {{"state", "up"}}));
}

TEST_F(ClusterDirTest, ListShowsClaimedClustersSorted) {
  std::string a = new_cluster_name(), b = new_cluster_name();
  ClusterDir::claim(b);
  ClusterDir::claim(a);
  auto names = ClusterDir::list();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), a), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), b), names.end());
  ClusterDir::open(a)->remove();
  names = ClusterDir::list();
  EXPECT_EQ(std::find(names.begin(), names.end(), a), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), b), names.end());
}

TEST_F(ClusterDirTest, RemoveDeletesTheWholeDirectoryAndFreesTheName) {
  std::string name = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(name);
  dir.journal_netns("sl-a");
  dir.write_json("state.json", {{"state", "up"}});
  std::ofstream(dir.path("pids")) << "1\n";
  dir.remove();
  EXPECT_FALSE(test::is_directory(locations::state_root() + "/" + name));
  EXPECT_FALSE(ClusterDir::open(name));
  EXPECT_NO_THROW(dir.remove()) << "removing twice is harmless";
  EXPECT_NO_THROW(ClusterDir::claim(name)) << "the name is free again";
}

TEST(ProcessAlive, SelfIsAlive) { EXPECT_TRUE(process_alive(getpid())); }

TEST(ProcessAlive, ReapedChildIsNot) { EXPECT_FALSE(process_alive(reaped_child_pid())); }

TEST(ProcessAlive, NonPositivePidsAreNot) {
  EXPECT_FALSE(process_alive(0));
  EXPECT_FALSE(process_alive(-1));
}

TEST(ProcessAlive, LiveChildIsUntilReaped) {
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_alive(pid));
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  EXPECT_FALSE(process_alive(pid));
}

TEST(ProcessExited, AnUnreapedZombieHasExitedARunningChildHasNot) {
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t running = fork();
  if (running == 0) {
    ::close(ready[0]);
    ::close(ready[1]);
    pause();
    _exit(0);
  }
  const pid_t zombie = fork();
  if (zombie == 0) _exit(0);
  ::close(ready[0]);
  ::close(ready[1]);
  // Not reaped yet: kill(pid, 0) still finds it, but it has left everything but its pid.
  for (int i = 0; i < 200 && !process_exited(zombie); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_TRUE(process_alive(zombie));
  EXPECT_TRUE(process_exited(zombie));
  EXPECT_FALSE(process_exited(running));
  EXPECT_FALSE(process_exited(getpid()));
  kill(running, SIGKILL);
  waitpid(running, nullptr, 0);
  waitpid(zombie, nullptr, 0);
  EXPECT_TRUE(process_exited(zombie)) << "reaped: gone";
}

}  // namespace
}  // namespace scalelab::runtime
