#include "emulator/vm/exec.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <future>
#include <stdexcept>

namespace bp = boost::process;

namespace scalelab::vm {

std::optional<std::filesystem::path> find_program(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    std::filesystem::path p(name);
    if (::access(p.c_str(), X_OK) == 0) return p;
    return std::nullopt;
  }
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/local/bin:/usr/bin:/bin";
  path += ":/usr/local/sbin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      std::filesystem::path p = std::filesystem::path(path.substr(start, end - start)) / std::string(name);
      if (::access(p.c_str(), X_OK) == 0 && !std::filesystem::is_directory(p)) return p;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string command_line(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;") == std::string::npos;
    if (plain) {
      s += a;
    } else {
      s += '\'';
      for (char c : a) s += (c == '\'') ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

ExecResult run_capture(const std::vector<std::string>& argv, const ExecOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run_capture: empty command");
  auto exe = find_program(argv[0]);
  if (!exe) throw std::runtime_error("`" + argv[0] + "` not found in PATH (is its package installed?)");
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  boost::asio::io_context ios;
  std::future<std::string> out, err;
  auto env = boost::this_process::environment();
  bp::environment child_env = env;
  for (const auto& [k, v] : options.env) child_env.set(k, v);  // not operator[]: see process_group.cpp
  std::string cwd = options.cwd.empty() ? std::filesystem::current_path().string() : options.cwd.string();
  ExecResult r;
  std::error_code ec;
  bp::child c;
  const std::string in = options.stdin_file.empty() ? std::string("/dev/null") : options.stdin_file.string();
  if (options.stdout_file.empty()) {
    c = bp::child(bp::exe = exe->string(), bp::args = args, bp::std_in < in, bp::std_out > out, bp::std_err > err,
                  bp::start_dir = cwd, child_env, ios, ec);
  } else {
    c = bp::child(bp::exe = exe->string(), bp::args = args, bp::std_in < in, bp::std_out > options.stdout_file.string(),
                  bp::std_err > err, bp::start_dir = cwd, child_env, ios, ec);
  }
  if (ec) throw std::runtime_error("cannot start `" + command_line(argv) + "`: " + ec.message());
  if (options.timeout.count() > 0) {
    ios.run_for(options.timeout);
    if (!ios.stopped()) {
      r.timed_out = true;
      c.terminate(ec);
      ios.run();
    }
  } else {
    ios.run();
  }
  c.wait(ec);
  int native = c.native_exit_code();
  r.status = WIFEXITED(native) ? WEXITSTATUS(native) : 128 + WTERMSIG(native);
  if (out.valid()) r.out = out.get();
  if (err.valid()) r.err = err.get();
  return r;
}

std::string run_checked(const std::vector<std::string>& argv, const ExecOptions& options) {
  auto r = run_capture(argv, options);
  if (r.status != 0 || r.timed_out) {
    std::string err = r.err;
    if (err.size() > 2000) err = "…" + err.substr(err.size() - 2000);
    throw std::runtime_error("`" + command_line(argv) + "` " +
                             (r.timed_out ? std::string("timed out") : "failed with status " + std::to_string(r.status)) +
                             (err.empty() ? std::string() : ":\n" + err));
  }
  return r.out;
}

Child Child::spawn(const std::vector<std::string>& argv, const std::vector<FdMap>& fds, int log_fd) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty command");
  auto exe = find_program(argv[0]);
  if (!exe) throw std::runtime_error("`" + argv[0] + "` not found in PATH (is its package installed?)");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls from here on. Move every source descriptor out of the
    // way first, so a mapping never overwrites the source of a later one.
    std::vector<int> moved;
    for (const auto& m : fds) moved.push_back(::fcntl(m.parent_fd, F_DUPFD, 200));
    for (size_t i = 0; i < fds.size(); ++i) ::dup2(moved[i], fds[i].child_fd);
    for (int fd : moved) ::close(fd);
    ::dup2(devnull, 0);
    if (log_fd >= 0) {
      ::dup2(log_fd, 1);
      ::dup2(log_fd, 2);
    }
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::execv(exe->c_str(), cargv.data());
    _exit(127);
  }
  ::close(devnull);
  Child c;
  c.pid_ = pid;
  return c;
}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    pid_ = std::exchange(o.pid_, -1);
    status_ = o.status_;
  }
  return *this;
}

Child::~Child() {
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int st;
    ::waitpid(pid_, &st, 0);
  }
}

std::optional<int> Child::poll() {
  if (status_ || pid_ <= 0) return status_;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return status_;
}

int Child::wait() {
  while (!status_ && pid_ > 0) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, 0);
    if (r == pid_) status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    else if (r < 0 && errno != EINTR) status_ = -1;
  }
  return status_.value_or(-1);
}

void Child::signal(int sig) {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

}  // namespace scalelab::vm
