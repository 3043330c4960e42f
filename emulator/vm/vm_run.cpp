#include "emulator/vm/vm_run.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "emulator/vm/exec.h"
#include "emulator/vm/guest.h"
#include "emulator/vm/kernel_cache.h"
#include "emulator/vm/qemu.h"
#include "emulator/vm/vm_probe.h"

extern char** environ;

namespace scalelab::vm {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<int> g_signal{0};
void on_signal(int sig) { g_signal = sig; }

class SignalGuard {
 public:
  SignalGuard() {
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, &old_[s]);
  }
  ~SignalGuard() {
    for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &old_[s], nullptr);
  }

 private:
  struct sigaction old_[32] {};
};

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  std::ofstream out(p, std::ios::trunc | std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + p.string());
  out.close();
  fs::permissions(p, perms);
}

std::string tail_lines(const std::string& text, size_t n) {
  size_t pos = text.size();
  if (pos && text.back() == '\n') --pos;
  for (size_t i = 0; i < n; ++i) {
    if (pos == 0) return text;
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

class RunDir {
 public:
  explicit RunDir(bool keep) : keep_(keep) {
    char tmpl[] = "/tmp/scalelab-vm.XXXXXX";
    if (!::mkdtemp(tmpl)) throw std::runtime_error("cannot create a run directory in /tmp");
    path_ = tmpl;
  }
  ~RunDir() {
    std::error_code ec;
    if (!keep_) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool keep_;
};

std::vector<Share> make_shares(const VmOptions& o) {
  std::vector<fs::path> dirs;
  if (o.share_project && project_tree(fs::current_path()) != "/") dirs.push_back(project_tree(fs::current_path()));
  for (const auto& s : o.shares) {
    std::error_code ec;
    auto c = fs::canonical(s, ec);
    if (ec || !fs::is_directory(c)) throw std::runtime_error("--share " + s.string() + ": not a directory");
    dirs.push_back(c);
  }
  std::sort(dirs.begin(), dirs.end());
  dirs.erase(std::unique(dirs.begin(), dirs.end()), dirs.end());
  std::vector<Share> shares;
  for (const auto& d : dirs) {
    if (d == "/") throw std::runtime_error("the root directory cannot be shared writable; share a subdirectory");
    shares.push_back({d, "scalelab.share" + std::to_string(shares.size())});
  }
  return shares;  // sorted, so a parent is mounted before anything inside it
}

}  // namespace

fs::path project_tree(const fs::path& cwd) {
  for (auto p = cwd; !p.empty(); p = p.parent_path()) {
    if (fs::exists(p / ".git")) return p == "/" ? cwd : p;
    if (p == p.root_path()) break;
  }
  return cwd;
}

int run_vm(const VmOptions& o) {
  auto t_start = Clock::now();
  Log log;
  if (!o.quiet) log = [](std::string_view line) { fmt::print(stderr, "scalelab vm: {}\n", line); };
  if (o.command.empty() && !o.fetch_only) throw std::runtime_error("no command given: scalelab vm [options] -- CMD...");
  if (o.mem_mb < 256) throw std::runtime_error("--mem: at least 256 MB");
  if (o.accel != "auto" && o.accel != "kvm" && o.accel != "tcg") throw std::runtime_error("--accel: auto, kvm or tcg");

  VmAvailability avail;
  if (!o.fetch_only) {
    avail = probe_vm();
    if (!avail.qemu_present) throw std::runtime_error(avail.reason);
  }

  CacheOptions cache;
  if (!o.cache_root.empty()) cache.root = o.cache_root;
  cache.refresh = o.refresh;
  cache.log = log;
  auto request = KernelRequest::parse(o.kernel);
  auto kernel = ensure_kernel(request, cache);
  const auto& m = kernel.manifest;

  if (o.fetch_only) {
    nlohmann::json j = m.to_json();
    j["dir"] = kernel.dir.string();
    j["fetched"] = kernel.fetched;
    j["downloaded_bytes"] = kernel.downloaded_bytes;
    j["download_seconds"] = kernel.download_seconds;
    j["prepare_seconds"] = kernel.prepare_seconds;
    j["verify_seconds"] = kernel.verify_seconds;
    fmt::print("{}\n", j.dump(2));
    return 0;
  }

  std::string accel = o.accel, accel_reason;
  if (accel == "auto") {
    accel = "tcg";
    accel_reason = avail.reason;
    if (avail.kvm_usable) {
      std::string why;
      if (check_kvm_linux_boot(kernel, cache.root, why)) {
        accel = "kvm";
        accel_reason = why;
      } else {
        accel_reason = "KVM present but unusable (" + why + ")";
      }
    }
  } else {
    accel_reason = "as asked";
  }

  RunDir run(o.keep);
  GuestPlan plan;
  plan.abi = m.abi;
  plan.modules_dir = kernel.modules_dir;
  plan.shares = make_shares(o);
  plan.modules = o.modules;
  plan.cwd = fs::current_path();
  plan.argv = o.command;
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.emplace_back(*e);
  plan.env = guest_environment(env);
  write_text(run.path() / "stage1.sh", stage1_script(plan));
  write_text(run.path() / "guest.sh", guest_script(plan));

  QemuConfig qc;
  qc.accel = accel;
  long host_cpus = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  qc.cpus = o.cpus > 0 ? o.cpus : static_cast<int>(std::min(2L, host_cpus));
  qc.mem_mb = o.mem_mb;
  qc.kernel = kernel.vmlinux;
  qc.initramfs = kernel.initramfs;
  qc.results_dir = run.path();
  qc.shares = plan.shares;
  qc.console_log = run.path() / "console.log";
  qc.stdout_fd = 100;
  qc.stderr_fd = 101;
  auto argv = qemu_argv(qc);

  if (log) {
    std::string shares;
    for (const auto& s : plan.shares) shares += (shares.empty() ? "" : ", ") + s.path.string();
    log(fmt::format("kernel {} ({}), {} ({}), {} vCPU, {} MB{}", m.abi, m.suite, accel, accel_reason, qc.cpus, qc.mem_mb,
                    shares.empty() ? "" : ", writable: " + shares));
  }

  SignalGuard signals;
  std::chrono::steady_clock::time_point t_spawn;
  std::optional<double> started_at;
  bool timed_out = false;
  int interrupted = 0;
  std::optional<int> qemu_status;
  // A boot that dies before the command starts (rarely, the guest kernel crashes early under
  // multi-threaded TCG) is retried once: nothing of the command has run yet.
  for (int attempt = 1; attempt <= 2; ++attempt) {
    for (const char* f : {kStatusFile, kStartedFile, kErrorFile, "timing", "console.log"}) fs::remove(run.path() / f);
    int qemu_log = ::open((run.path() / "qemu.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    t_spawn = Clock::now();
    Child qemu = Child::spawn(argv, {{100, STDOUT_FILENO}, {101, STDERR_FILENO}}, qemu_log);
    ::close(qemu_log);
    while (!(qemu_status = qemu.poll())) {
      if (!started_at && fs::exists(run.path() / kStartedFile))
        started_at = std::chrono::duration<double>(Clock::now() - t_spawn).count();
      if (int s = g_signal.exchange(0)) {
        interrupted = s;
        qemu.signal(SIGTERM);
      }
      if (o.timeout_s > 0 && Clock::now() - t_spawn > std::chrono::seconds(o.timeout_s) && !timed_out) {
        timed_out = true;
        qemu.signal(SIGTERM);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    bool never_started = !started_at && !fs::exists(run.path() / kStartedFile) && !fs::exists(run.path() / kErrorFile);
    if (attempt == 1 && never_started && !interrupted && !g_signal && !timed_out) {
      auto console = read_text(run.path() / "console.log");
      std::string what = "no sign of it on the console";
      if (auto k = console.find("Kernel panic"); k != std::string::npos) what = console.substr(k, console.find('\n', k) - k);
      if (log) log("the guest died before the command started (" + what + "); booting again");
      continue;
    }
    break;
  }
  // A terminal's Ctrl-C reaches qemu too, which may end first.
  if (int s = g_signal.exchange(0); s && !interrupted) interrupted = s;
  auto t_end = Clock::now();
  double total = std::chrono::duration<double>(t_end - t_start).count();
  double in_vm = std::chrono::duration<double>(t_end - t_spawn).count();
  double prep = std::chrono::duration<double>(t_spawn - t_start).count();

  if (interrupted) {
    if (log) log(fmt::format("interrupted by signal {}; the VM was stopped", interrupted));
    return 128 + interrupted;
  }
  if (timed_out) {
    if (log) log(fmt::format("timed out after {} s; the VM was stopped", o.timeout_s));
    return kStatusTimeout;
  }
  auto status_text = read_text(run.path() / kStatusFile);
  int status = -1;
  try {
    status = std::stoi(status_text);
  } catch (const std::exception&) {
    status = -1;
  }
  if (status < 0 || status > 255) {
    std::string why = read_text(run.path() / kErrorFile);
    fmt::print(stderr, "scalelab vm: the VM ended (qemu status {}) without running the command to its end{}\n", *qemu_status,
               why.empty() ? "" : ": " + why);
    auto console = tail_lines(read_text(run.path() / "console.log"), 25);
    if (!console.empty()) fmt::print(stderr, "--- guest console (last lines) ---\n{}\n", console);
    auto ql = tail_lines(read_text(run.path() / "qemu.log"), 15);
    if (!ql.empty()) fmt::print(stderr, "--- qemu ---\n{}\n", ql);
    if (o.keep) fmt::print(stderr, "run directory kept: {}\n", run.path().string());
    return kStatusVmFailure;
  }
  if (log) {
    // Guest-side clock (seconds since the kernel started) at each stage, from the results share.
    std::map<std::string, double> at;
    std::istringstream timing(read_text(run.path() / "timing") + "command " + read_text(run.path() / kStartedFile));
    for (std::string label, value; timing >> label >> value;) {
      try {
        at[label] = std::stod(value);
      } catch (const std::exception&) {
      }
    }
    if (at.count("init") && at.count("stage1") && at.count("modules") && at.count("guest") && at.count("command"))
      log(fmt::format("guest clock: init {:.2f} s, stage 1 {:.2f} s, modules loaded {:.2f} s, root switched {:.2f} s, command {:.2f} s",
                      at["init"], at["stage1"], at["modules"], at["guest"], at["command"]));
    if (started_at)
      log(fmt::format("exit status {}; boot-to-command {:.2f} s ({:.2f} s in qemu, {:.2f} s before), command and power-off {:.2f} s, total {:.2f} s",
                      status, prep + *started_at, *started_at, prep, in_vm - *started_at, total));
    else
      log(fmt::format("exit status {}; total {:.2f} s", status, total));
    if (o.keep) log("run directory kept: " + run.path().string());
  }
  return status;
}

}  // namespace scalelab::vm
