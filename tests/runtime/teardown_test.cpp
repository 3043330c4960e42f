#include "emulator/runtime/teardown.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "emulator/netlink/netns.h"
#include "emulator/runtime/cluster_dir.h"
#include "runtime_test_support.h"

namespace scalelab::runtime {
namespace {

using namespace std::chrono_literals;

std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

void write_pids(const ClusterDir& dir, const std::vector<pid_t>& pids) {
  std::ofstream out(dir.path("pids"));
  for (pid_t p : pids) out << p << "\n";
}

class TeardownTest : public test::RuntimeTest {};

TEST_F(TeardownTest, DownRemovesJournaledNamespacesAndTheDirectory) {
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  const std::string n1 = new_kept_netns(), n2 = new_kept_netns();
  dir.journal_netns(n1);
  dir.journal_netns(n2);
  dir.write_json("state.json", {{"pid", getpid()}, {"state", "up"}});
  ASSERT_TRUE(nl::named_netns_exists(n1));
  ASSERT_TRUE(nl::named_netns_exists(n2));

  TeardownReport report = down(cluster);
  EXPECT_TRUE(report.cluster_found);
  EXPECT_EQ(sorted(report.removed_namespaces), sorted({n1, n2}));
  EXPECT_TRUE(report.stopped_pids.empty());
  EXPECT_FALSE(nl::named_netns_exists(n1));
  EXPECT_FALSE(nl::named_netns_exists(n2));
  EXPECT_FALSE(ClusterDir::open(cluster));
  EXPECT_FALSE(test::is_directory(locations::state_root() + "/" + cluster));
}

TEST_F(TeardownTest, DownIsIdempotent) {
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  dir.journal_netns(new_kept_netns());
  dir.journal_netns(new_kept_netns());
  ASSERT_TRUE(down(cluster).cluster_found);

  TeardownReport again = down(cluster);
  EXPECT_FALSE(again.cluster_found);
  EXPECT_TRUE(again.removed_namespaces.empty());
  EXPECT_TRUE(again.stopped_pids.empty());
}

TEST_F(TeardownTest, DownOfAnUnknownClusterFindsNothing) {
  TeardownReport report = down(test::unique_cluster_name());
  EXPECT_FALSE(report.cluster_found);
  EXPECT_TRUE(report.removed_namespaces.empty());
}

TEST_F(TeardownTest, DownAfterACrashBetweenJournalAndCreate) {
  // `up` journals a namespace before creating it: a crash in between leaves a journal entry
  // with no namespace behind it, which down must step over.
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  const std::string real = new_kept_netns();
  const std::string never_made = reserve_netns_name();
  dir.journal_netns(real);
  dir.journal_netns(never_made);
  dir.write_json("state.json", {{"pid", 999999}, {"state", "creating"}});

  TeardownReport report = down(cluster);
  EXPECT_TRUE(report.cluster_found);
  EXPECT_EQ(report.removed_namespaces, std::vector<std::string>{real});
  EXPECT_FALSE(nl::named_netns_exists(real));
  EXPECT_FALSE(ClusterDir::open(cluster));
}

TEST_F(TeardownTest, DownOfAClusterWithoutJournalRemovesTheDirectory) {
  const std::string cluster = new_cluster_name();
  ClusterDir::claim(cluster);
  TeardownReport report = down(cluster);
  EXPECT_TRUE(report.cluster_found);
  EXPECT_TRUE(report.removed_namespaces.empty());
  EXPECT_FALSE(ClusterDir::open(cluster));
}

TEST_F(TeardownTest, StopRecordedProcessesKillsOnlyThoseInsideTheClustersNamespaces) {
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  const std::string ns_name = new_kept_netns();
  dir.journal_netns(ns_name);
  nl::NamedNetns ns = nl::NamedNetns::open(ns_name);

  // A second namespace the cluster does not own: a process there is not the cluster's either.
  const std::string foreign_name = new_kept_netns();
  nl::NamedNetns foreign = nl::NamedNetns::open(foreign_name);

  const pid_t inside = start_sleeper(ns.fd());
  const pid_t host = start_sleeper(-1);
  const pid_t elsewhere = start_sleeper(foreign.fd());
  const pid_t gone = [] {
    pid_t p = fork();
    if (p == 0) _exit(0);
    waitpid(p, nullptr, 0);
    return p;
  }();
  ASSERT_GT(inside, 0);
  ASSERT_GT(host, 0);
  ASSERT_GT(elsewhere, 0);
  write_pids(dir, {inside, host, elsewhere, gone});

  std::vector<int> stopped = stop_recorded_processes(cluster);
  EXPECT_EQ(stopped, std::vector<int>{inside});

  int status = wait_exit(inside, 2000ms);
  ASSERT_NE(status, -1) << "the sleeper inside the cluster's namespace still runs";
  forget_child(inside);
  EXPECT_TRUE(WIFSIGNALED(status));
  if (WIFSIGNALED(status)) {
    EXPECT_EQ(WTERMSIG(status), SIGTERM) << "SIGTERM should have been enough for sleep";
  }

  EXPECT_EQ(wait_exit(host, 100ms), -1) << "the host-namespace process listed in pids was killed";
  EXPECT_EQ(wait_exit(elsewhere, 100ms), -1) << "a process in a foreign namespace was killed";
  EXPECT_EQ(kill(host, 0), 0);
}

TEST_F(TeardownTest, StopRecordedProcessesWithoutClusterOrPidsFile) {
  EXPECT_TRUE(stop_recorded_processes(test::unique_cluster_name()).empty());
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  dir.journal_netns(new_kept_netns());
  EXPECT_TRUE(stop_recorded_processes(cluster).empty());
}

TEST_F(TeardownTest, DownStopsRecordedProcessesBeforeRemovingNamespaces) {
  const std::string cluster = new_cluster_name();
  ClusterDir dir = ClusterDir::claim(cluster);
  const std::string ns_name = new_kept_netns();
  dir.journal_netns(ns_name);
  nl::NamedNetns ns = nl::NamedNetns::open(ns_name);
  const pid_t inside = start_sleeper(ns.fd());
  const pid_t host = start_sleeper(-1);
  write_pids(dir, {inside, host});

  TeardownReport report = down(cluster);
  EXPECT_EQ(report.stopped_pids, std::vector<int>{inside});
  EXPECT_EQ(report.removed_namespaces, std::vector<std::string>{ns_name});
  EXPECT_NE(wait_exit(inside, 2000ms), -1);
  forget_child(inside);
  EXPECT_EQ(wait_exit(host, 100ms), -1) << "the host-namespace process was killed";
}

// clean() sweeps every cluster and every sl-* namespace on the machine. So that it cannot touch
// anything but this test's objects (other tests, other users' clusters), it runs in a child
// process with its own mount namespace, where /run/netns and /run/scalelab are empty tmpfs.
// The child reports a failure description through a pipe ("" = all good).
std::string clean_in_private_mount_namespace(const std::string& stray, const std::string& cluster,
                                             const std::string& journaled, const std::string& unrelated) {
  std::string failure;
  auto check = [&](bool ok, const std::string& what) {
    if (!ok && failure.empty()) failure = what;
  };
  if (unshare(CLONE_NEWNS) < 0) return std::string("unshare(CLONE_NEWNS): ") + std::strerror(errno);
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return std::string("make / private: ") + std::strerror(errno);
  for (const char* dir : {locations::netns_dir().c_str(), locations::state_root().c_str()}) {
    mkdir(dir, 0755);
    if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0) return std::string("tmpfs on ") + dir + ": " + std::strerror(errno);
  }
  try {
    nl::NamedNetns::create(stray).keep();
    nl::NamedNetns::create(journaled).keep();
    nl::NamedNetns::create(unrelated).keep();
    ClusterDir dir = ClusterDir::claim(cluster);
    dir.journal_netns(journaled);

    TeardownReport report = clean();
    auto removed = report.removed_namespaces;
    auto listed = [&](const std::string& n) { return std::find(removed.begin(), removed.end(), n) != removed.end(); };
    check(!nl::named_netns_exists(stray), "the stray " + stray + " survived clean()");
    check(listed(stray), "the stray " + stray + " is not in the report");
    check(!nl::named_netns_exists(journaled), "the journaled " + journaled + " survived clean()");
    check(listed(journaled), "the journaled " + journaled + " is not in the report");
    check(!ClusterDir::open(cluster).has_value(), "cluster directory " + cluster + " survived clean()");
    check(ClusterDir::list().empty(), "clean() left cluster directories");
    check(report.cluster_found, "clean() did not report the cluster it found");
    check(nl::named_netns_exists(unrelated), "clean() removed " + unrelated + ", which is not a scalelab name");
    check(removed.size() == 2, "clean() reported " + std::to_string(removed.size()) + " namespaces, expected 2");

    TeardownReport again = clean();
    check(again.removed_namespaces.empty(), "a second clean() removed something");
    check(!again.cluster_found, "a second clean() found a cluster");
    nl::remove_named_netns(unrelated);
  } catch (const std::exception& e) {
    failure = std::string("exception: ") + e.what();
  }
  return failure;
}

TEST_F(TeardownTest, CleanRemovesStrayScalelabNamespacesAndEveryCluster) {
  const std::string stray = "sl-stray" + std::to_string(getpid());
  const std::string cluster = test::unique_cluster_name();
  const std::string journaled = test::unique_netns_name();
  const std::string unrelated = "notscalelab-" + std::to_string(getpid());
  // A real sl-* namespace in the real /run/netns: clean() in the child must not see it.
  const std::string bystander = new_kept_netns();
  const std::string bystander_cluster = new_cluster_name();
  ClusterDir::claim(bystander_cluster).journal_netns(bystander);

  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    std::string failure = clean_in_private_mount_namespace(stray, cluster, journaled, unrelated);
    ssize_t ignored = write(pipe_fds[1], failure.data(), failure.size());
    (void)ignored;
    _exit(failure.empty() ? 0 : 1);
  }
  children_.push_back(pid);
  close(pipe_fds[1]);
  std::string failure;
  char buf[512];
  for (ssize_t n; (n = read(pipe_fds[0], buf, sizeof buf)) > 0;) failure.append(buf, n);
  close(pipe_fds[0]);
  int status = wait_exit(pid, 10000ms);
  forget_child(pid);
  ASSERT_NE(status, -1) << "the clean() child hung";
  EXPECT_EQ(failure, "");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;

  // Nothing of the child's private world leaked into the real /run/netns and /run/scalelab, and
  // the real ones were not swept.
  EXPECT_FALSE(nl::named_netns_exists(stray));
  EXPECT_FALSE(nl::named_netns_exists(journaled));
  EXPECT_FALSE(nl::named_netns_exists(unrelated));
  EXPECT_FALSE(ClusterDir::open(cluster));
  EXPECT_TRUE(nl::named_netns_exists(bystander)) << "clean() in the private mount namespace reached the real /run/netns";
  EXPECT_TRUE(ClusterDir::open(bystander_cluster)) << "clean() in the private mount namespace reached the real /run/scalelab";
}

}  // namespace
}  // namespace scalelab::runtime
