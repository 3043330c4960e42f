#pragma once
// Running the tools the vm layer drives (apt-get, apt-cache, dpkg, depmod, xz, zstd, qemu).
// The only translation unit with <boost/process.hpp>.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scalelab::vm {

// Looks in PATH, then /usr/sbin and /sbin (depmod is there and a user's PATH may lack it).
std::optional<std::filesystem::path> find_program(std::string_view name);

struct ExecOptions {
  std::filesystem::path cwd;                                // empty: inherit
  std::chrono::milliseconds timeout{0};                     // 0: none
  std::vector<std::pair<std::string, std::string>> env;     // added to the inherited environment
  std::filesystem::path stdout_file;                        // non-empty: stdout goes there, not captured
  std::filesystem::path stdin_file;                         // non-empty: stdin comes from there, not /dev/null
};

struct ExecResult {
  int status = -1;  // exit status; 128+signal when killed
  bool timed_out = false;
  std::string out, err;
};

std::string command_line(const std::vector<std::string>& argv);

// Runs argv[0] (looked up with find_program) with stdin from /dev/null (or stdin_file) and captures its output.
ExecResult run_capture(const std::vector<std::string>& argv, const ExecOptions& options = {});
// Same, but throws std::runtime_error naming the command, its status and its stderr on failure.
std::string run_checked(const std::vector<std::string>& argv, const ExecOptions& options = {});

// A child started with explicit file descriptors (qemu gets the caller's stdout/stderr as
// extra descriptors for its virtio-serial ports).
class Child {
 public:
  struct FdMap {
    int child_fd;
    int parent_fd;
  };
  // stdin is /dev/null; stdout/stderr are redirected to `log_fd` when >= 0, else inherited.
  static Child spawn(const std::vector<std::string>& argv, const std::vector<FdMap>& fds, int log_fd);

  Child() = default;
  Child(Child&& o) noexcept : pid_(std::exchange(o.pid_, -1)), status_(o.status_) {}
  Child& operator=(Child&& o) noexcept;
  ~Child();

  pid_t pid() const { return pid_; }
  // Exit status once it ended (128+signal when killed), without blocking.
  std::optional<int> poll();
  int wait();
  void signal(int sig);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace scalelab::vm
