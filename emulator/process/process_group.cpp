// The only translation unit of the emulator proper that includes <boost/process.hpp>: it takes
// ~10 s to compile.
#include "emulator/process/process_group.h"

#include <signal.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <poll.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <thread>

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

struct ProcessGroup::Impl {
  struct Member {
    std::string label;
    bp::pipe output;
    std::atomic<bool> exited{false};
    bp::child child;
    std::thread reader;
    std::optional<int> status;
    std::chrono::steady_clock::time_point ended;
    bool killed_by_us = false;
  };
  std::string binary, pids_file;
  LineSink sink;
  std::mutex sink_mutex;
  std::vector<std::unique_ptr<Member>> members;

  void end(Member& m, int sig) {
    if (m.status || !m.child.valid() || !m.child.running()) return;
    m.killed_by_us = true;
    ::kill(m.child.id(), sig);
  }
};

ProcessGroup::ProcessGroup(std::string scalelab_binary, std::string pids_file, LineSink sink) : impl_(std::make_unique<Impl>()) {
  impl_->binary = std::move(scalelab_binary);
  impl_->pids_file = std::move(pids_file);
  impl_->sink = std::move(sink);
}

ProcessGroup::~ProcessGroup() {
  for (auto& m : impl_->members) impl_->end(*m, SIGKILL);
  for (auto& m : impl_->members) {
    std::error_code ignored;
    if (m->child.valid()) m->child.wait(ignored);
    m->exited = true;
    if (m->reader.joinable()) m->reader.join();
  }
}

void ProcessGroup::launch(const LaunchSpec& spec) {
  auto member = std::make_unique<Impl::Member>();
  member->label = spec.label;
  std::vector<std::string> args = {"exec", spec.node_reference, "--"};
  args.insert(args.end(), spec.argv.begin(), spec.argv.end());
  auto env = boost::this_process::environment();
  bp::environment child_env = env;
  for (const auto& [k, v] : spec.env) child_env[k] = v;
  member->child = bp::child(impl_->binary, bp::args(args), child_env, bp::std_in < bp::null,
                            (bp::std_out & bp::std_err) > member->output);
  member->output.assign_sink(-1);  // Boost closed our copy of the write end on success; forget it
  if (!impl_->pids_file.empty()) std::ofstream(impl_->pids_file, std::ios::app) << member->child.id() << "\n";

  std::size_t index = impl_->members.size();
  auto* m = member.get();
  m->reader = std::thread([this, m, index] {
    // poll, not a blocking read: a grandchild that outlives the member may hold the pipe open
    // forever, and the group must still finish once its own members have exited.
    int fd = m->output.native_source();
    std::string pending;
    char buf[65536];
    auto emit = [&](bool flush) {
      std::size_t start = 0, nl;
      while ((nl = pending.find('\n', start)) != std::string::npos) {
        std::lock_guard lock(impl_->sink_mutex);
        impl_->sink(index, m->label, pending.substr(start, nl - start));
        start = nl + 1;
      }
      pending.erase(0, start);
      if (flush && !pending.empty()) {
        std::lock_guard lock(impl_->sink_mutex);
        impl_->sink(index, m->label, pending);
        pending.clear();
      }
    };
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      int ready = ::poll(&p, 1, 100);
      if (ready > 0) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        pending.append(buf, n);
        emit(false);
      } else if (m->exited) {
        break;
      }
    }
    emit(true);
  });
  impl_->members.push_back(std::move(member));
}

std::vector<pid_t> ProcessGroup::pids() const {
  std::vector<pid_t> out;
  for (const auto& m : impl_->members) out.push_back(m->child.id());
  return out;
}

void ProcessGroup::signal(std::size_t member, int sig) {
  // Only kill(): running() would reap the child under the feet of a concurrent wait().
  auto& m = *impl_->members.at(member);
  if (!m.exited) ::kill(m.child.id(), sig);
}

GroupResult ProcessGroup::wait(std::optional<std::chrono::steady_clock::time_point> deadline, bool stop_on_failure,
                               std::chrono::milliseconds grace) {
  using Clock = std::chrono::steady_clock;
  GroupResult result;
  std::optional<Clock::time_point> kill_at;
  auto end_all = [&](int sig) {
    for (auto& m : impl_->members) impl_->end(*m, sig);
  };
  for (;;) {
    bool running = false;
    for (auto& m : impl_->members) {
      if (m->status) continue;
      std::error_code ec;
      if (m->child.running(ec)) {
        running = true;
        continue;
      }
      int code = m->child.exit_code();
      int native = m->child.native_exit_code();
      m->status = WIFSIGNALED(native) ? 128 + WTERMSIG(native) : code;
      m->ended = Clock::now();
      m->exited = true;
      if (*m->status != 0 && stop_on_failure && !kill_at) {
        end_all(SIGTERM);
        kill_at = Clock::now() + grace;
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
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (auto& m : impl_->members) {
    if (m->reader.joinable()) m->reader.join();
    result.members.push_back({m->label, m->child.id(), *m->status, m->killed_by_us, m->ended});
  }
  return result;
}

}  // namespace scalelab::process
