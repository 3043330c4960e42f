#include "emulator/vm/kernel_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "emulator/vm/apt.h"
#include "emulator/vm/apt_client.h"
#include "emulator/vm/bzimage.h"
#include "emulator/vm/exec.h"
#include "emulator/vm/initramfs.h"
#include "emulator/vm/sha256.h"
#include "emulator/vm/version.h"

namespace scalelab::vm {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  auto tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc | std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, p);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

long epoch_now() { return static_cast<long>(std::time(nullptr)); }

std::string mb(uint64_t bytes) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(1);
  s << bytes / 1e6 << " MB";
  return s.str();
}

// Holds an exclusive flock on the cache root for as long as it lives.
class CacheLock {
 public:
  CacheLock(const fs::path& root, const Log& log) {
    fd_ = ::open((root / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + (root / ".lock").string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (log) log("waiting for another scalelab vm that is filling the kernel cache");
      while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
      }
    }
  }
  ~CacheLock() { ::close(fd_); }
  CacheLock(const CacheLock&) = delete;
  CacheLock& operator=(const CacheLock&) = delete;

 private:
  int fd_ = -1;
};

fs::path find_busybox() {
  for (const char* p : {"/bin/busybox", "/usr/bin/busybox", "/sbin/busybox", "/usr/sbin/busybox"})
    if (fs::exists(p) && is_static_elf(p)) return p;
  if (auto p = find_program("busybox"); p && is_static_elf(*p)) return *p;
  throw std::runtime_error("no statically linked busybox found: install Debian's busybox-static");
}

std::optional<Manifest> load_manifest(const fs::path& dir) {
  try {
    if (!fs::exists(dir / "manifest.json")) return std::nullopt;
    return Manifest::parse(read_text(dir / "manifest.json"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The unpacked kernel: modules directory and vmlinuz, for both Debian layouts.
struct Unpacked {
  fs::path modules_dir;
  fs::path vmlinuz;
};

Unpacked locate(const fs::path& root, const std::string& abi) {
  Unpacked u;
  for (auto rel : {"usr/lib/modules", "lib/modules"}) {
    auto d = root / rel / abi;
    if (fs::is_directory(d) && !fs::is_symlink(root / rel)) {
      u.modules_dir = d;
      break;
    }
  }
  if (u.modules_dir.empty())
    for (auto rel : {"usr/lib/modules", "lib/modules"})
      if (fs::is_directory(root / rel / abi)) u.modules_dir = root / rel / abi;
  for (auto p : {u.modules_dir / "vmlinuz", root / "boot" / ("vmlinuz-" + abi)})
    if (!u.modules_dir.empty() && fs::exists(p)) {
      u.vmlinuz = p;
      break;
    }
  if (u.modules_dir.empty()) throw std::runtime_error("the packages hold no modules for " + abi + " (lib/modules/" + abi + ")");
  if (u.vmlinuz.empty()) throw std::runtime_error("the packages hold no vmlinuz for " + abi);
  return u;
}

// Turns fetched .debs (already in `dir`/debs, hashes checked) into a ready kernel directory.
void prepare(const fs::path& dir, Manifest& m, const Log& log) {
  auto root = dir / "root";
  fs::create_directories(root);
  for (const auto& p : m.packages) run_checked({"dpkg-deb", "-x", (dir / p.file).string(), root.string()});
  auto u = locate(root, m.abi);
  // depmod -b BASE looks in BASE/lib/modules; Debian 13+ packages install under usr/lib.
  if (!fs::exists(root / "lib") && fs::exists(root / "usr/lib/modules")) fs::create_directory_symlink("usr/lib", root / "lib");
  for (auto f : {"modules.order", "modules.builtin", "modules.builtin.modinfo"})
    if (!fs::exists(u.modules_dir / f)) write_text(u.modules_dir / f, "");
  if (log) log("depmod, vmlinux and initramfs for " + m.abi);
  run_checked({"depmod", "-b", root.string(), m.abi});
  extract_vmlinux(u.vmlinuz, dir / "vmlinux");
  build_initramfs(u.modules_dir, find_busybox(), dir / "initramfs.cpio");
  m.vmlinux = "vmlinux";
  m.initramfs = "initramfs.cpio";
  m.initramfs_recipe = initramfs_recipe();
  m.modules_dir = fs::relative(u.modules_dir, dir).string();
  auto hashes = sha256_files({dir / m.vmlinux, dir / m.initramfs});
  m.vmlinux_sha256 = hashes[0];
  m.initramfs_sha256 = hashes[1];
  m.created = utc_now();
  write_text(dir / "manifest.json", m.to_json().dump(2) + "\n");
}

KernelArtifacts artifacts(const fs::path& dir, const Manifest& m) {
  KernelArtifacts a;
  a.dir = dir;
  a.vmlinux = dir / m.vmlinux;
  a.initramfs = dir / m.initramfs;
  a.modules_dir = dir / m.modules_dir;
  a.manifest = m;
  return a;
}

// Checks a cached kernel and brings its initramfs up to this scalelab's recipe.
std::optional<KernelArtifacts> use_cached(const fs::path& dir, const Log& log) {
  auto m = load_manifest(dir);
  if (!m) return std::nullopt;
  auto t0 = Clock::now();
  if (auto bad = verify_kernel_dir(dir, *m); !bad.empty()) {
    if (log) log("cached kernel " + dir.string() + " fails its check (" + bad + "): fetching it again");
    return std::nullopt;
  }
  if (m->initramfs_recipe != initramfs_recipe()) {
    build_initramfs(dir / m->modules_dir, find_busybox(), dir / m->initramfs);
    m->initramfs_recipe = initramfs_recipe();
    m->initramfs_sha256 = sha256_file(dir / m->initramfs);
    write_text(dir / "manifest.json", m->to_json().dump(2) + "\n");
  }
  auto a = artifacts(dir, *m);
  a.verify_seconds = seconds_since(t0);
  return a;
}

void remove_stale_builds(const fs::path& root) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.path().filename().string().rfind(".build-", 0) == 0) fs::remove_all(e.path(), ec);
}

KernelArtifacts fetch_from_apt(const Resolution& r, AptClient& apt, const fs::path& root, const Log& log) {
  auto final_dir = root / r.abi;
  if (auto m = load_manifest(final_dir)) {
    bool same = m->source == "apt" && m->debian_version == r.version && m->packages.size() == r.packages.size();
    for (size_t i = 0; same && i < r.packages.size(); ++i) same = m->packages[i].sha256 == r.packages[i].sha256;
    if (same)
      if (auto a = use_cached(final_dir, log)) return *a;
  }
  auto staging = root / (".build-" + r.abi + "-" + std::to_string(::getpid()));
  fs::remove_all(staging);
  fs::create_directories(staging / "debs");
  uint64_t total = 0;
  std::string names;
  std::vector<std::string> items;
  for (const auto& p : r.packages) {
    total += p.size;
    names += (names.empty() ? "" : ", ") + p.name;
    items.push_back(p.name + "=" + p.version);
  }
  if (log) log("fetching " + names + " " + r.version + " (" + mb(total) + ") from " + r.suite);
  auto t0 = Clock::now();
  apt.download(items, staging / "debs");
  double dl = seconds_since(t0);
  Manifest m;
  m.abi = r.abi;
  m.upstream = r.upstream;
  m.debian_version = r.version;
  m.suite = r.suite;
  m.source = "apt";
  m.origin = apt.mirror().uri;
  std::vector<fs::path> files;
  for (const auto& p : r.packages) {
    // apt-get download names files NAME_VERSION_ARCH.deb with ':' escaped as %3a.
    fs::path found;
    for (const auto& e : fs::directory_iterator(staging / "debs"))
      if (e.path().filename().string().rfind(p.name + "_", 0) == 0) found = e.path();
    if (found.empty()) throw std::runtime_error("apt-get download left no file for " + p.name);
    files.push_back(found);
    m.packages.push_back({p.name, p.version, "debs/" + found.filename().string(), p.sha256, p.size});
  }
  auto hashes = sha256_files(files);
  for (size_t i = 0; i < files.size(); ++i)
    if (hashes[i] != r.packages[i].sha256)
      throw std::runtime_error(files[i].string() + ": SHA256 " + hashes[i] + " differs from the index's " + r.packages[i].sha256);
  uint64_t bytes = 0;
  for (const auto& f : files) bytes += fs::file_size(f);
  if (log) {
    std::ostringstream s;
    s.setf(std::ios::fixed);
    s.precision(1);
    s << "fetched " << mb(bytes) << " in " << dl << " s; SHA256 match the signed index";
    log(s.str());
  }
  auto t1 = Clock::now();
  prepare(staging, m, log);
  fs::remove_all(final_dir);
  fs::rename(staging, final_dir);
  auto a = artifacts(final_dir, m);
  a.fetched = true;
  a.downloaded_bytes = bytes;
  a.download_seconds = dl;
  a.prepare_seconds = seconds_since(t1);
  if (log) log("cached " + r.abi + " in " + final_dir.string());
  return a;
}

std::pair<std::string, std::string> deb_identity(const fs::path& deb) {
  auto out = run_checked({"dpkg-deb", "-f", deb.string(), "Package", "Version"});
  std::string package, version;
  for (const auto& s : parse_stanzas(out)) {
    package = field(s, "Package");
    version = field(s, "Version");
  }
  if (package.empty() || version.empty()) throw std::runtime_error(deb.string() + ": no Package/Version in its control file");
  return {package, version};
}

// A sibling .deb "<name>_<version>_*.deb" next to `deb`.
std::optional<fs::path> sibling(const fs::path& deb, const std::string& name, const std::string& version) {
  std::string prefix = name + "_";
  std::string v = version;
  if (auto colon = v.find(':'); colon != std::string::npos) v = v.substr(colon + 1);
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(deb.parent_path().empty() ? "." : deb.parent_path(), ec)) {
    auto f = e.path().filename().string();
    if (f.rfind(prefix + v + "_", 0) == 0 && e.path().extension() == ".deb") return e.path();
  }
  return std::nullopt;
}

KernelArtifacts from_local_deb(const fs::path& given, const fs::path& root, const Log& log) {
  auto deb = fs::absolute(given);
  if (!fs::exists(deb)) throw std::runtime_error(deb.string() + ": no such file");
  auto [package, version] = deb_identity(deb);
  std::string abi;
  std::vector<fs::path> debs;
  auto require = [&](const std::string& name) {
    auto s = sibling(deb, name, version);
    if (!s) throw std::runtime_error(deb.filename().string() + " needs " + name + "_" + version + "_amd64.deb beside it in " +
                                     deb.parent_path().string());
    debs.push_back(*s);
  };
  if (package.rfind("linux-binary-", 0) == 0) {
    abi = package.substr(13);
    debs.push_back(deb);
    require("linux-modules-" + abi);
    if (auto b = sibling(deb, "linux-base-" + abi, version)) debs.push_back(*b);
  } else if (package.rfind("linux-image-", 0) == 0) {
    abi = package.substr(12);
    if (abi.size() > 9 && abi.compare(abi.size() - 9, 9, "-unsigned") == 0) abi.resize(abi.size() - 9);
    auto listing = run_checked({"dpkg-deb", "-c", deb.string()});
    if (listing.find("/vmlinuz") != std::string::npos) {
      debs.push_back(deb);  // older layout: image, modules and config in one package
    } else {
      require("linux-binary-" + abi);
      require("linux-modules-" + abi);
      if (auto b = sibling(deb, "linux-base-" + abi, version)) debs.push_back(*b);
    }
  } else {
    throw std::runtime_error(deb.string() + " is " + package + ", not a linux-image-* or linux-binary-* package");
  }
  auto hashes = sha256_files(debs);
  auto dir = root / ("local-" + abi + "-" + hashes[0].substr(0, 12));
  if (auto m = load_manifest(dir)) {
    bool same = m->packages.size() == debs.size();
    for (size_t i = 0; same && i < debs.size(); ++i) same = m->packages[i].sha256 == hashes[i];
    if (same)
      if (auto a = use_cached(dir, log)) return *a;
  }
  if (log) log("preparing " + abi + " from " + deb.string());
  auto staging = root / (".build-local-" + std::to_string(::getpid()));
  fs::remove_all(staging);
  fs::create_directories(staging / "debs");
  Manifest m;
  m.abi = abi;
  m.upstream = upstream_version(version);
  m.debian_version = version;
  m.suite = "local";
  m.source = "local";
  m.origin = deb.string();
  for (size_t i = 0; i < debs.size(); ++i) {
    auto target = staging / "debs" / debs[i].filename();
    fs::copy_file(debs[i], target, fs::copy_options::overwrite_existing);
    if (sha256_file(target) != hashes[i]) throw std::runtime_error(debs[i].string() + " changed while it was being copied");
    auto [name, ver] = deb_identity(debs[i]);
    m.packages.push_back({name, ver, "debs/" + debs[i].filename().string(), hashes[i], fs::file_size(target)});
  }
  auto t0 = Clock::now();
  prepare(staging, m, log);
  fs::remove_all(dir);
  fs::rename(staging, dir);
  auto a = artifacts(dir, m);
  a.fetched = true;
  a.prepare_seconds = seconds_since(t0);
  return a;
}

}  // namespace

fs::path default_cache_root() {
  if (const char* env = std::getenv("SCALELAB_VM_CACHE"); env && *env) return env;
  if (geteuid() == 0) return "/var/cache/scalelab/vm";
  // `scalelab vm` needs no root: a normal user keeps kernels in a cache of their own.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) return fs::path(xdg) / "scalelab/vm";
  if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache/scalelab/vm";
  return "/tmp/scalelab-vm-cache-" + std::to_string(getuid());
}

bool is_static_elf(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  char h[64];
  if (!in.read(h, 64) || std::memcmp(h, "\x7f" "ELF", 4) != 0 || h[4] != 2) return false;  // ELF64 only
  uint64_t phoff;
  uint16_t phentsize, phnum;
  std::memcpy(&phoff, h + 32, 8);
  std::memcpy(&phentsize, h + 54, 2);
  std::memcpy(&phnum, h + 56, 2);
  for (uint16_t i = 0; i < phnum; ++i) {
    in.seekg(static_cast<std::streamoff>(phoff + uint64_t(i) * phentsize));
    uint32_t type;
    if (!in.read(reinterpret_cast<char*>(&type), 4)) return false;
    if (type == 3) return false;  // PT_INTERP
  }
  return true;
}

std::vector<Manifest> list_cached_kernels(const fs::path& root) {
  std::vector<Manifest> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root, ec))
    if (e.is_directory() && e.path().filename().string().front() != '.')
      if (auto m = load_manifest(e.path())) out.push_back(*m);
  std::sort(out.begin(), out.end(), [](const Manifest& a, const Manifest& b) {
    int c = compare_versions(a.upstream, b.upstream);
    return c != 0 ? c > 0 : a.created > b.created;
  });
  return out;
}

std::string verify_kernel_dir(const fs::path& dir, const Manifest& m) {
  std::vector<fs::path> files;
  std::vector<std::string> expected;
  for (const auto& p : m.packages) files.push_back(dir / p.file), expected.push_back(p.sha256);
  files.push_back(dir / m.vmlinux), expected.push_back(m.vmlinux_sha256);
  files.push_back(dir / m.initramfs), expected.push_back(m.initramfs_sha256);
  for (const auto& f : files)
    if (!fs::exists(f)) return f.filename().string() + " is missing";
  if (!fs::is_directory(dir / m.modules_dir)) return m.modules_dir + " is missing";
  std::vector<std::string> got;
  try {
    got = sha256_files(files);
  } catch (const std::exception& e) {
    return e.what();
  }
  for (size_t i = 0; i < files.size(); ++i)
    if (got[i] != expected[i]) return files[i].filename().string() + " has SHA256 " + got[i] + ", the manifest says " + expected[i];
  return "";
}

KernelArtifacts ensure_kernel(const KernelRequest& request, const CacheOptions& options) {
  const auto& log = options.log;
  const auto& root = options.root;
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec) throw std::runtime_error("cannot create the kernel cache " + root.string() + ": " + ec.message() + " (run as root, or set SCALELAB_VM_CACHE)");
  CacheLock lock(root, log);
  remove_stale_builds(root);

  if (request.kind == KernelRequest::Kind::LocalDeb) return from_local_deb(request.value, root, log);

  if (request.kind == KernelRequest::Kind::Version) {
    for (const auto& m : list_cached_kernels(root))
      if (m.source == "apt" && (m.abi == request.value || m.upstream == request.value))
        if (auto a = use_cached(root / m.abi, log)) return *a;
  }

  auto auto_file = root / "auto.json";
  if (request.kind == KernelRequest::Kind::Auto && !options.refresh && fs::exists(auto_file)) {
    try {
      auto j = nlohmann::json::parse(read_text(auto_file));
      long age = epoch_now() - j.at("time").get<long>();
      if (age >= 0 && age < options.max_age.count() * 3600)
        if (auto a = use_cached(root / j.at("abi").get<std::string>(), log)) return *a;
    } catch (const std::exception&) {
      // stale or unreadable: resolve again
    }
  }

  const auto& suites = options.suites.empty() ? default_suites() : options.suites;
  try {
    AptClient apt(AptDirs{root / "apt"}, host_mirror(), options.max_age, options.refresh, log);
    auto r = resolve_kernel(request, apt, suites, kMinimumKernel, log);
    auto a = fetch_from_apt(r, apt, root, log);
    if (request.kind == KernelRequest::Kind::Auto)
      write_text(auto_file, nlohmann::json{{"abi", r.abi}, {"suite", r.suite}, {"version", r.version}, {"time", epoch_now()}}.dump() + "\n");
    return a;
  } catch (const std::exception& e) {
    // Offline, or the mirror moved on: an already cached capable kernel still serves "auto".
    if (request.kind == KernelRequest::Kind::Auto) {
      for (const auto& m : list_cached_kernels(root)) {
        if (m.source != "apt" || compare_versions(m.upstream, kMinimumKernel) < 0) continue;
        if (auto a = use_cached(root / m.abi, log)) {
          if (log) log(std::string("could not resolve a kernel through apt (") + e.what() + "); using the cached " + m.abi);
          return *a;
        }
      }
    }
    throw;
  }
}

}  // namespace scalelab::vm
