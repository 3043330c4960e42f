// The only translation unit of the emulator proper that includes <boost/process.hpp>: it takes
// ~10 s to compile.
#include "emulator/process/process_group.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <boost/process/extend.hpp>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "emulator/process/enter_namespace.h"
#include "emulator/process/mount_template.h"

namespace bp = boost::process;

namespace scalelab::process {

bool GroupResult::all_succeeded() const {
  if (timed_out) return false;
  for (const auto& m : members)
    if (m.status != 0) return false;
  return true;
}

const MemberResult* GroupResult::first_failure() const {
  for (const auto& m : members)
    if (m.status != 0 && !m.killed_by_us) return &m;
  return nullptr;
}

std::string self_executable() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, n) : "scalelab";
}

namespace {

// Runs in the forked child after the output redirection: keeps the one descriptor meant for this
// member across exec, enters the node's namespace, or ends the child with 127 and one line on its
// stderr — never execs the command in the wrong namespace.
struct EnterNamespaceInChild : bp::extend::handler {
  const NamespaceEntry* entry = nullptr;
  int keep_fd = -1;
  template <typename Executor>
  void on_exec_setup(Executor&) const {
    if (keep_fd >= 0) ::fcntl(keep_fd, F_SETFD, 0);
    if (!entry) return;
    if (const char* step = entry->enter()) {
      entry->report_failure(step, errno);
      ::_exit(127);
    }
  }
};

// Glibc 2.36's <sys/pidfd.h> lacks extern "C", so C++ cannot link pidfd_open; the system call is
// the same. -1 on kernels before 5.3: wait() then looks every 5 ms instead.
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

// The group holds two descriptors per member (output pipe, pidfd): a 1024-rank run needs more than
// the soft limit a fresh Debian login has (1024). The hard limit is ours to take.
void raise_open_file_limit() {
  rlimit l{};
  if (::getrlimit(RLIMIT_NOFILE, &l) == 0 && l.rlim_cur < l.rlim_max) {
    l.rlim_cur = l.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &l);
  }
}

std::string current_directory() {
  char buf[4096];
  return ::getcwd(buf, sizeof buf) ? std::string(buf) : std::string("/");
}

std::string resolve_command(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  auto found = bp::search_path(name);
  if (found.empty()) throw std::runtime_error("cannot run " + name + ": not found in PATH");
  return found.string();
}

}  // namespace

struct ProcessGroup::Impl {
  struct Member {
    std::string label;
    bp::pipe output;
    int out_fd = -1;           // read end of the member's stdout+stderr; owned by the reader
    bool reading = true;       // the reader has not yet seen the end of the output (guarded by mutex)
    std::string pending;       // a partial line (reader only)
    std::atomic<bool> exited{false};
    bp::child child;
    pid_t pid = -1;
    int pidfd = -1;            // readable once the member exits; -1 when the kernel has no pidfd
    std::optional<int> status;
    std::chrono::steady_clock::time_point ended;
    bool killed_by_us = false;
  };
  std::string pids_file;
  LineSink sink;
  std::optional<MountTemplate> mount_template;  // made at the group's first launch into a namespace
  std::string working_directory = current_directory();
  mutable std::mutex mutex;
  std::condition_variable output_done;
  std::vector<std::unique_ptr<Member>> members;  // appended under mutex; elements never move
  int wake_fd = -1;
  bool stopping = false;
  std::thread reader;

  void end(Member& m, int sig) {
    if (m.status || m.pid <= 0) return;
    m.killed_by_us = true;
    ::kill(m.pid, sig);  // not yet reaped, so the pid is still ours
  }

  void wake() {
    uint64_t one = 1;
    [[maybe_unused]] auto ignored = ::write(wake_fd, &one, sizeof one);
  }

  void emit(std::size_t index, Member& m, bool flush) {
    std::size_t start = 0, nl;
    while ((nl = m.pending.find('\n', start)) != std::string::npos) {
      sink(index, m.label, m.pending.substr(start, nl - start));
      start = nl + 1;
    }
    m.pending.erase(0, start);
    if (flush && !m.pending.empty()) {
      sink(index, m.label, m.pending);
      m.pending.clear();
    }
  }

  void finish_output(std::size_t index, Member& m) {
    emit(index, m, true);
    ::close(m.out_fd);
    m.output.assign_source(-1);
    std::lock_guard lock(mutex);
    m.out_fd = -1;
    m.reading = false;
    output_done.notify_all();
  }

  // One thread polls every member's pipe. A member's output ends at EOF, or once it has exited and
  // nothing is left to read: a grandchild that outlives it may hold the pipe open forever.
  void read_outputs() {
    std::vector<pollfd> fds;
    std::vector<std::pair<std::size_t, Member*>> who;
    std::vector<bool> exited_before;
    char buf[65536];
    for (;;) {
      fds.assign(1, pollfd{wake_fd, POLLIN, 0});
      who.clear();
      exited_before.clear();
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
        for (std::size_t i = 0; i < members.size(); ++i) {
          Member* m = members[i].get();
          if (!m->reading) continue;
          exited_before.push_back(m->exited.load());
          fds.push_back({m->out_fd, POLLIN, 0});
          who.emplace_back(i, m);
        }
      }
      ::poll(fds.data(), fds.size(), 100);
      if (fds[0].revents & POLLIN) {
        uint64_t count;
        [[maybe_unused]] auto ignored = ::read(wake_fd, &count, sizeof count);
      }
      for (std::size_t k = 0; k < who.size(); ++k) {
        auto [index, m] = who[k];
        if (fds[k + 1].revents & (POLLIN | POLLHUP | POLLERR)) {
          ssize_t n = ::read(m->out_fd, buf, sizeof buf);
          if (n > 0) {
            m->pending.append(buf, static_cast<std::size_t>(n));
            emit(index, *m, false);
          } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            finish_output(index, *m);
          }
        } else if (exited_before[k]) {
          finish_output(index, *m);
        }
      }
    }
  }

  // Reaps the member if it has exited; true once its status is known.
  bool reap(Member& m) {
    if (m.status) return true;
    std::error_code ec;
    if (m.child.running(ec)) return false;
    const int code = m.child.exit_code();
    const int native = m.child.native_exit_code();
    m.status = WIFSIGNALED(native) ? 128 + WTERMSIG(native) : code;
    m.ended = std::chrono::steady_clock::now();
    m.exited = true;
    if (m.pidfd >= 0) {
      ::close(m.pidfd);
      m.pidfd = -1;
    }
    wake();
    return true;
  }
};

ProcessGroup::ProcessGroup(std::string pids_file, LineSink sink) : impl_(std::make_unique<Impl>()) {
  impl_->pids_file = std::move(pids_file);
  impl_->sink = std::move(sink);
  raise_open_file_limit();
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->wake_fd < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
  impl_->reader = std::thread([impl = impl_.get()] { impl->read_outputs(); });
}

ProcessGroup::~ProcessGroup() {
  for (auto& m : impl_->members) impl_->end(*m, SIGKILL);
  for (auto& m : impl_->members) {
    std::error_code ignored;
    if (!m->status && m->child.valid()) m->child.wait(ignored);
    m->exited = true;
  }
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake();
  impl_->reader.join();
  for (auto& m : impl_->members) {
    if (m->out_fd >= 0) ::close(m->out_fd), m->output.assign_source(-1);
    if (m->pidfd >= 0) ::close(m->pidfd);
  }
  ::close(impl_->wake_fd);
}

void ProcessGroup::launch(const LaunchSpec& spec) {
  if (spec.argv.empty()) throw std::invalid_argument("launch: no command for " + spec.label);
  auto member = std::make_unique<Impl::Member>();
  member->label = spec.label;
  const std::string exe = resolve_command(spec.argv.front());
  const std::vector<std::string> args(spec.argv.begin() + 1, spec.argv.end());
  bp::environment child_env = boost::this_process::environment();
  // set(), not operator[]: Boost 1.74's environment find() compares past the end of shorter
  // entries (an ASan heap-buffer-overflow on every launch); set() checks the lengths.
  for (const auto& [k, v] : spec.env) child_env.set(k, v);
  std::optional<NamespaceEntry> entry;
  if (!spec.netns.empty()) {
    entry.emplace(spec.netns, spec.identity);
    if (!impl_->mount_template) impl_->mount_template.emplace();
    if (impl_->mount_template->valid()) entry->copy_mounts_of(impl_->mount_template->fd(), impl_->working_directory);
  }
  EnterNamespaceInChild enter;
  enter.entry = entry ? &*entry : nullptr;
  enter.keep_fd = spec.keep_fd;
  try {
    member->child = bp::child(exe, bp::args(args), child_env, bp::std_in < bp::null,
                              (bp::std_out & bp::std_err) > member->output, enter);
  } catch (const bp::process_error& e) {
    throw std::runtime_error(spec.label + ": cannot start " + exe + ": " + e.what());
  }
  member->output.assign_sink(-1);  // Boost closed our copy of the write end on success; forget it
  member->out_fd = member->output.native_source();
  // Boost's pipes are inheritable: without this every later member would hold every earlier
  // member's read end (a million descriptors at 1024 ranks).
  ::fcntl(member->out_fd, F_SETFD, FD_CLOEXEC);
  member->pid = member->child.id();
  member->pidfd = open_pidfd(member->pid);
  if (!impl_->pids_file.empty()) std::ofstream(impl_->pids_file, std::ios::app) << member->pid << "\n";
  {
    std::lock_guard lock(impl_->mutex);
    impl_->members.push_back(std::move(member));
  }
  impl_->wake();
}

std::vector<pid_t> ProcessGroup::pids() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<pid_t> out;
  for (const auto& m : impl_->members) out.push_back(m->pid);
  return out;
}

void ProcessGroup::signal(std::size_t member, int sig) {
  // Only kill(): reaping here would race with a concurrent wait().
  Impl::Member* m;
  {
    std::lock_guard lock(impl_->mutex);
    m = impl_->members.at(member).get();
  }
  if (!m->exited) ::kill(m->pid, sig);
}

GroupResult ProcessGroup::wait(std::optional<std::chrono::steady_clock::time_point> deadline, bool stop_on_failure,
                               std::chrono::milliseconds grace) {
  using Clock = std::chrono::steady_clock;
  GroupResult result;
  std::optional<Clock::time_point> kill_at;
  auto end_all = [&](int sig) {
    for (auto& m : impl_->members) impl_->end(*m, sig);
  };
  std::vector<pollfd> fds;
  std::vector<std::size_t> watched;                    // member index of each pidfd polled
  std::vector<char> due(impl_->members.size(), 1);     // members to reap-check this round
  for (;;) {
    bool running = false, unwatched = false;
    fds.clear();
    watched.clear();
    for (std::size_t i = 0; i < impl_->members.size(); ++i) {
      auto& m = *impl_->members[i];
      if (!m.status && (due[i] || m.pidfd < 0) && impl_->reap(m)) {
        if (*m.status != 0 && stop_on_failure && !kill_at && !m.killed_by_us) {
          end_all(SIGTERM);
          kill_at = Clock::now() + grace;
        }
      }
      due[i] = 0;
      if (m.status) continue;
      running = true;
      if (m.pidfd >= 0) {
        fds.push_back({m.pidfd, POLLIN, 0});
        watched.push_back(i);
      } else {
        unwatched = true;
      }
    }
    if (!running) break;
    auto now = Clock::now();
    if (deadline && now >= *deadline && !result.timed_out) {
      result.timed_out = true;
      end_all(SIGTERM);
      kill_at = now + grace;
    }
    if (kill_at && now >= *kill_at) end_all(SIGKILL);
    // Sleep until a member exits, the deadline or the kill time; without pidfds, look every 5 ms.
    auto wake_at = now + (unwatched ? std::chrono::milliseconds(5) : std::chrono::milliseconds(200));
    if (deadline && !result.timed_out) wake_at = std::min(wake_at, *deadline);
    if (kill_at) wake_at = std::min(wake_at, std::max(now, *kill_at));
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(wake_at - now).count() + 1;
    ::poll(fds.data(), fds.size(), static_cast<int>(ms));
    for (std::size_t k = 0; k < fds.size(); ++k)
      if (fds[k].revents) due[watched[k]] = 1;
  }
  {
    std::unique_lock lock(impl_->mutex);
    impl_->output_done.wait(lock, [&] {
      for (auto& m : impl_->members)
        if (m->reading) return false;
      return true;
    });
  }
  for (auto& m : impl_->members) result.members.push_back({m->label, m->pid, *m->status, m->killed_by_us, m->ended});
  return result;
}

}  // namespace scalelab::process
