#include "emulator/rootless/session.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <signal.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace scalelab::rootless {
namespace fs = std::filesystem;
namespace {

// /proc/<pid>/stat from field 3 (the state) on; "" when there is no such process. The command
// name before it is in parentheses and may itself hold spaces and parentheses.
std::string stat_fields_after_name(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  return close == std::string::npos || close + 2 >= stat.size() ? "" : stat.substr(close + 2);
}

unsigned long long inode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

bool write_proc(const std::string& path, const std::string& text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

std::string unshare_advice(int err) {
  return fmt::format(
      "cannot create a user namespace (unshare: {}): this kernel or its settings forbid unprivileged user namespaces "
      "(see /proc/sys/user/max_user_namespaces, kernel.unprivileged_userns_clone, or AppArmor's "
      "kernel.apparmor_restrict_unprivileged_userns); run as root instead, or inside `scalelab vm`",
      std::strerror(err));
}

void bring_loopback_up() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
    ifr.ifr_flags |= IFF_UP;
    ioctl(fd, SIOCSIFFLAGS, &ifr);
  }
  ::close(fd);
}

// The holder: it only has to exist. Its stdio goes to /dev/null so that a caller reading the
// command's output through a pipe (a test runner) is not kept waiting by it.
[[noreturn]] void hold(int ready_fd, uid_t uid, gid_t gid) {
  auto fail = [&](const std::string& what) {
    std::string m = what;
    (void)!::write(ready_fd, m.data(), m.size());
    _exit(1);
  };
  setsid();
  // Its own network namespace too: the host's belongs to the host's user namespace, and a
  // thread that enters a node's namespace must be able to come back (and nothing rootless
  // should reach the host's network).
  if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0) fail(unshare_advice(errno));
  // Root inside maps to the caller outside, and to nobody else.
  if (!write_proc("/proc/self/setgroups", "deny")) fail("cannot write /proc/self/setgroups");
  if (!write_proc("/proc/self/uid_map", fmt::format("0 {} 1", uid))) fail("cannot write /proc/self/uid_map");
  if (!write_proc("/proc/self/gid_map", fmt::format("0 {} 1", gid))) fail("cannot write /proc/self/gid_map");
  // The session's mounts stay in the session.
  if (mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) fail(std::string("cannot make / private: ") + std::strerror(errno));
  bring_loopback_up();
  prctl(PR_SET_NAME, "scalelab-userns");
  (void)!::write(ready_fd, "", 1);
  int devnull = ::open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3; ++fd) dup2(devnull, fd);
  for (int fd = 3; fd < 4096; ++fd) ::close(fd);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGTERM);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  signal(SIGTERM, SIG_DFL);
  for (;;) pause();
}

std::optional<Holder> read_record(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return Holder{j.value("pid", 0), j.value("start_time", 0ULL), j.value("userns_inode", 0ULL)};
}

void write_record(const std::string& path, const Holder& h) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << nlohmann::json{{"pid", h.pid}, {"start_time", h.start_time}, {"userns_inode", h.userns_inode}}.dump() << "\n";
  fs::rename(tmp, path);
}

// A zombie has ended: only its parent's wait is missing.
bool running(int pid) {
  if (kill(pid, 0) != 0) return false;
  const std::string fields = stat_fields_after_name(pid);
  return !fields.empty() && fields[0] != 'Z';
}

// A holder killed a moment ago may still show its /proc entries while it exits.
bool alive(const Holder& h) {
  return h.pid > 0 && running(h.pid) && process_start_time(h.pid) == h.start_time &&
         inode_of("/proc/" + std::to_string(h.pid) + "/ns/user") == h.userns_inode;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

void stop(const std::vector<int>& pids) {
  for (int pid : pids) kill(pid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(500);
  auto any_alive = [&] {
    for (int pid : pids)
      if (running(pid)) return true;
    return false;
  };
  while (std::chrono::steady_clock::now() < deadline && any_alive()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  for (int pid : pids) kill(pid, SIGKILL);
  // Exiting takes a while for a process that held many namespaces: `clean` returns when all are gone.
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline && any_alive()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace

unsigned long long process_start_time(int pid) {
  std::istringstream rest(stat_fields_after_name(pid));
  std::string field;
  // Fields after the command name start at 3 (state); the start time is field 22.
  for (int i = 3; i < 22 && rest >> field; ++i) {
  }
  unsigned long long start = 0;
  rest >> start;
  return start;
}

std::vector<int> processes_in_user_namespace(unsigned long long userns_inode) {
  std::vector<int> pids;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end || pid <= 0 || pid == getpid()) continue;
      if (inode_of(std::string("/proc/") + e->d_name + "/ns/user") == userns_inode) pids.push_back(static_cast<int>(pid));
    }
    closedir(d);
  }
  return pids;
}

Session::Session(std::string base) : base_(std::move(base)) {
  std::error_code ec;
  fs::create_directories(base_, ec);
  struct stat st;
  if (stat(base_.c_str(), &st) != 0)
    throw RootlessError(fmt::format("cannot create {}: {} (set XDG_RUNTIME_DIR to a directory of yours)", base_, std::strerror(errno)));
  if (st.st_uid != getuid())
    throw RootlessError(fmt::format("{} belongs to uid {}, not to you (uid {}): a rootless session keeps its state in a directory "
                                    "of its own; set XDG_RUNTIME_DIR to one",
                                    base_, st.st_uid, getuid()));
  chmod(base_.c_str(), 0700);
  fs::create_directories(base_ + "/netns", ec);
  fs::create_directories(base_ + "/clusters", ec);
  lock_fd_ = ::open((base_ + "/holder.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) throw RootlessError(fmt::format("cannot open {}/holder.lock: {}", base_, std::strerror(errno)));
}

Session::~Session() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Session::lock(int how) {
  while (flock(lock_fd_, how) < 0 && errno == EINTR) {
  }
}

std::optional<Holder> Session::live_holder() const {
  auto h = read_record(base_ + "/holder.json");
  if (h && alive(*h)) return h;
  return std::nullopt;
}

void Session::reap_dead_holder(std::vector<std::string>* notes) {
  auto h = read_record(base_ + "/holder.json");
  if (!h || alive(*h)) return;
  auto orphans = processes_in_user_namespace(h->userns_inode);
  stop(orphans);
  auto clusters = entries(base_ + "/clusters");
  for (const auto& c : clusters) fs::remove_all(base_ + "/clusters/" + c);
  // Without their mount namespace these are plain empty files.
  for (const auto& n : entries(base_ + "/netns")) fs::remove(base_ + "/netns/" + n);
  fs::remove(base_ + "/holder.json");
  if (notes && (!clusters.empty() || !orphans.empty()))
    notes->push_back(fmt::format("the previous rootless session (holder pid {}) had ended, and its clusters with it; removed "
                                 "what they left: {} cluster record(s){}{}, {} process(es)",
                                 h->pid, clusters.size(), clusters.empty() ? "" : " ", fmt::join(clusters, ", "), orphans.size()));
}

Holder Session::ensure_holder(std::vector<std::string>* notes) {
  // Shared while the holder lives, so commands in a live session never wait for each other;
  // exclusive only to start one, which waits for the commands of a dead session to finish.
  lock(LOCK_SH);
  if (auto h = live_holder()) return *h;
  while (flock(lock_fd_, LOCK_EX | LOCK_NB) < 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) throw RootlessError(fmt::format("flock {}/holder.lock: {}", base_, std::strerror(errno)));
    if (auto h = live_holder()) return *h;  // another command started one meanwhile; still shared
    // A command of the dead session (a `run` waiting on its ranks) joined the holder's user
    // namespace and keeps its shared lock as long as its ranks live, which can be hours: it and
    // they are what the dead session left, so they are stopped now instead of waited out.
    if (auto dead = read_record(base_ + "/holder.json"); dead && !alive(*dead)) stop(processes_in_user_namespace(dead->userns_inode));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auto h = live_holder()) {
    lock(LOCK_SH);
    return *h;
  }
  reap_dead_holder(notes);
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) < 0) throw RootlessError(std::string("pipe: ") + std::strerror(errno));
  const uid_t uid = getuid();
  const gid_t gid = getgid();
  pid_t child = fork();
  if (child < 0) throw RootlessError(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    ::close(ready[0]);
    hold(ready[1], uid, gid);
  }
  ::close(ready[1]);
  std::string reply;
  char buf[512];
  for (ssize_t n; (n = ::read(ready[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
    if (reply.size() == 1 && reply[0] == '\0') break;
  }
  ::close(ready[0]);
  if (reply.size() != 1 || reply[0] != '\0') {
    waitpid(child, nullptr, 0);
    lock(LOCK_UN);
    throw RootlessError(reply.empty() ? "the rootless session's holder died while starting" : reply);
  }
  Holder h{child, process_start_time(child), inode_of("/proc/" + std::to_string(child) + "/ns/user")};
  write_record(base_ + "/holder.json", h);
  lock(LOCK_SH);
  return h;
}

void Session::join(const Holder& h) {
  const std::string proc = "/proc/" + std::to_string(h.pid) + "/ns/";
  int user = ::open((proc + "user").c_str(), O_RDONLY | O_CLOEXEC);
  int mnt = ::open((proc + "mnt").c_str(), O_RDONLY | O_CLOEXEC);
  int net = ::open((proc + "net").c_str(), O_RDONLY | O_CLOEXEC);
  if (user < 0 || mnt < 0 || net < 0) {
    int e = errno;
    for (int fd : {user, mnt, net})
      if (fd >= 0) ::close(fd);
    throw RootlessError(fmt::format("cannot open the rootless session's namespaces ({}): {}", proc, std::strerror(e)));
  }
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  int failed = 0;
  const char* step = "";
  if (setns(user, CLONE_NEWUSER) < 0)
    failed = errno, step = "join its user namespace";
  else if (setns(mnt, CLONE_NEWNS) < 0)
    failed = errno, step = "join its mount namespace";
  else if (setns(net, CLONE_NEWNET) < 0)
    failed = errno, step = "join its network namespace";
  for (int fd : {user, mnt, net}) ::close(fd);
  if (failed)
    throw RootlessError(fmt::format("cannot {} (holder pid {}): {}{}", step, h.pid, std::strerror(failed),
                                    failed == EINVAL ? " (only a single-threaded process can join a user namespace)" : ""));
  // Changing user namespace made this process non-dumpable, which hides its /proc/<pid>/ns
  // links from the user it runs as: the reaping of a dead session finds processes by them.
  prctl(PR_SET_DUMPABLE, 1);
  // Joining a mount namespace moves the working directory to its root.
  if (!cwd.empty()) fs::current_path(cwd, ec);
}

bool Session::release_if_idle() {
  if (!entries(base_ + "/clusters").empty()) return false;
  // Another command holding the lock shared is still working in the session.
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) < 0) return false;
  auto h = live_holder();
  if (h && entries(base_ + "/clusters").empty()) {
    kill(h->pid, SIGTERM);
    fs::remove(base_ + "/holder.json");
  }
  lock(LOCK_SH);
  return h.has_value();
}

std::vector<int> Session::end(const Holder& h) {
  std::vector<int> pids = processes_in_user_namespace(h.userns_inode);
  stop(pids);
  fs::remove(base_ + "/holder.json");
  return pids;
}

}  // namespace scalelab::rootless
