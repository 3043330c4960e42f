#pragma once
// A command running once per GPU (Cluster::run): wait for it with a deadline, or end it.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scalelab {

struct RankResult {
  int rank = -1;
  std::string node;                 // "gpu3"
  std::string label;                // "rank 3 gpu3", as the CLI prefixes lines
  pid_t pid = -1;
  int status = -1;                  // exit status; 128+signal when killed; 127: namespace or command not found
  bool stopped = false;             // ended by the job (another rank failed, deadline, kill())
  std::vector<std::string> output;  // its stdout and stderr lines (at least the last kMaxLines)
  std::chrono::steady_clock::time_point ended;  // when its exit was noticed
  static constexpr std::size_t kMaxLines = 10000;
};

struct JobResult {
  std::vector<RankResult> ranks;  // in rank order
  bool timed_out = false;
  bool ok() const;                             // every rank exited 0
  std::vector<int> failed_ranks() const;       // ranks that exited non-zero on their own
  std::vector<int> stopped_ranks() const;      // ranks the job ended
  const RankResult* first_failure() const;     // the rank that failed first on its own
};

// Called from the job's reader thread, one line at a time.
using LineHandler = std::function<void(int rank, const std::string& label, const std::string& line)>;

struct RunOptions {
  LineHandler on_line;          // besides collecting the lines into RankResult::output
  bool stop_on_failure = true;  // the first rank to fail ends the others
  bool keep_output = true;      // false: lines go to on_line only (long, chatty runs)
};

class Job {
 public:
  Job(Job&&) noexcept;
  Job& operator=(Job&&) noexcept;
  ~Job();  // ends whatever still runs

  std::vector<pid_t> pids() const;
  // Waits until every rank exited; past `timeout` every rank is ended (SIGTERM, then SIGKILL
  // after a second) and timed_out is set. A second call returns the same result.
  const JobResult& wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  const JobResult& kill();  // ends every rank now
  // Sends `sig` to every rank still running (SIGTERM: asks them to end; wait() collects them).
  // May be called from another thread while wait() runs.
  void signal(int sig);

 private:
  friend class Cluster;
  struct Impl;
  explicit Job(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace scalelab
