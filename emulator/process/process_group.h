#pragma once
// Starts one process per node inside the nodes' namespaces (entered in the forked child, before
// exec), streams their output line by line, and ends them — only them, by pid — when one fails,
// a deadline passes, or the caller asks.
//
// Built for a thousand members on two cores: one thread reads every member's output, and exits
// are noticed through pidfds, so an idle group costs no wakeups per member.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "emulator/process/enter_namespace.h"

namespace scalelab::process {

struct LaunchSpec {
  std::string label;                         // "rank 3" — passed back with each output line
  std::string netns;                         // the node's namespace (plan::netns_name); empty: stay in this one
  std::vector<std::string> argv;             // argv[0] is looked up in PATH
  std::map<std::string, std::string> env;    // added to the inherited environment
  NodeIdentity identity;                     // hostname and /etc/hosts inside the namespace (with netns only)
  int keep_fd = -1;                          // a descriptor of ours the process keeps (its own listening port)
};

struct MemberResult {
  std::string label;
  pid_t pid = -1;
  int status = -1;            // exit status; 128+signal when killed; 127 when the namespace or command was not found
  bool killed_by_us = false;  // ended because another member failed or the deadline passed
  std::chrono::steady_clock::time_point ended;  // when its exit was noticed
};

struct GroupResult {
  std::vector<MemberResult> members;
  bool timed_out = false;
  bool all_succeeded() const;
  const MemberResult* first_failure() const;  // the member that failed first on its own
};

// Called from the group's reader thread, one call at a time.
using LineSink = std::function<void(std::size_t member, const std::string& label, const std::string& line)>;

class ProcessGroup {
 public:
  // `pids_file`: every started pid is appended there (the cluster's record for down/clean).
  ProcessGroup(std::string pids_file, LineSink sink);
  ~ProcessGroup();  // ends whatever still runs
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  // Throws std::runtime_error when the process cannot be started (fork failed, command not found).
  // A namespace that cannot be entered is reported by the member itself: exit 127 and one line.
  void launch(const LaunchSpec& spec);
  std::vector<pid_t> pids() const;
  void signal(std::size_t member, int sig);

  // Waits until every member exited and its output was read. With `stop_on_failure`, the first
  // non-zero exit ends the others (SIGTERM, then SIGKILL after `grace`). A deadline ends everyone
  // the same way.
  GroupResult wait(std::optional<std::chrono::steady_clock::time_point> deadline, bool stop_on_failure,
                   std::chrono::milliseconds grace = std::chrono::milliseconds(1000));

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The path of the running executable.
std::string self_executable();

}  // namespace scalelab::process
