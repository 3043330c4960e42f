#include "emulator/vm/apt_client.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "emulator/vm/exec.h"

namespace scalelab::vm {
namespace fs = std::filesystem;
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_text(const fs::path& p, const std::string& text) {
  auto tmp = p.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  fs::rename(tmp, p);
}

std::vector<std::string> with(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

}  // namespace

std::vector<std::string> apt_options(const AptDirs& d) {
  return {"-o", "Dir::Etc::sourcelist=" + d.sources_list().string(),
          "-o", "Dir::Etc::sourceparts=-",
          "-o", "Dir::State::Lists=" + d.lists().string(),
          "-o", "Dir::Cache=" + d.cache().string(),
          "-o", "Dir::Etc::preferencesparts=-",
          "-o", "Acquire::Languages=none",
          "-o", "APT::Get::List-Cleanup=true"};
}

MirrorSource host_mirror() {
  if (const char* env = std::getenv("SCALELAB_VM_MIRROR"); env && *env) return MirrorSource{env, ""};
  std::vector<fs::path> deb822, oneline;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/etc/apt/sources.list.d", ec)) {
    if (e.path().extension() == ".sources") deb822.push_back(e.path());
    if (e.path().extension() == ".list") oneline.push_back(e.path());
  }
  std::sort(deb822.begin(), deb822.end());
  std::sort(oneline.begin(), oneline.end());
  oneline.insert(oneline.begin(), "/etc/apt/sources.list");
  for (const auto& f : deb822)
    if (auto m = mirror_from_deb822(read_text(f))) return *m;
  for (const auto& f : oneline)
    if (fs::exists(f))
      if (auto m = mirror_from_one_line(read_text(f))) return *m;
  throw std::runtime_error(
      "no Debian archive found in /etc/apt/sources.list{,.d} (set SCALELAB_VM_MIRROR=URI of a Debian mirror, "
      "or give --kernel a local .deb)");
}

AptClient::AptClient(AptDirs dirs, MirrorSource mirror, std::chrono::hours max_age, bool force_update, Log log)
    : dirs_(std::move(dirs)), mirror_(std::move(mirror)), max_age_(max_age), force_(force_update), log_(std::move(log)) {
  if (!mirror_.signed_by.empty() && !fs::exists(mirror_.signed_by)) mirror_.signed_by.clear();
  fs::create_directories(dirs_.lists() / "partial");
  fs::create_directories(dirs_.cache() / "archives" / "partial");
}

void AptClient::update(const std::vector<std::string>& suites) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (!force_ && fs::exists(dirs_.stamp()) && fs::exists(dirs_.sources_list())) {
    try {
      auto j = nlohmann::json::parse(read_text(dirs_.stamp()));
      auto have = j.at("suites").get<std::vector<std::string>>();
      bool covered = std::all_of(suites.begin(), suites.end(),
                                 [&](const std::string& s) { return std::find(have.begin(), have.end(), s) != have.end(); });
      long age = now - j.at("time").get<long>();
      if (covered && j.at("uri").get<std::string>() == mirror_.uri && age >= 0 && age < max_age_.count() * 3600) return;
    } catch (const std::exception&) {
      // An unreadable stamp only means updating again.
    }
  }
  write_text(dirs_.sources_list(), make_sources_list(mirror_, suites));
  std::string names;
  for (const auto& s : suites) names += (names.empty() ? "" : ", ") + s;
  if (log_) log_("updating package indexes for " + names);
  ExecOptions opt;
  opt.timeout = std::chrono::minutes(5);
  run_checked(with(with({"apt-get"}, apt_options(dirs_)), {"-q", "update"}), opt);
  write_text(dirs_.stamp(), nlohmann::json{{"uri", mirror_.uri}, {"suites", suites}, {"time", now}}.dump() + "\n");
  updated_ = true;
}

std::string AptClient::policy(const std::vector<std::string>& packages) {
  return run_checked(with(with({"apt-cache"}, apt_options(dirs_)), with({"policy"}, packages)));
}

std::string AptClient::show(const std::string& package_version) {
  auto r = run_capture(with(with({"apt-cache"}, apt_options(dirs_)), {"show", package_version}));
  return r.status == 0 ? r.out : std::string();
}

std::vector<std::string> AptClient::pkgnames(const std::string& prefix) {
  auto out = run_checked(with(with({"apt-cache"}, apt_options(dirs_)), {"pkgnames", prefix}));
  std::vector<std::string> names;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

void AptClient::download(const std::vector<std::string>& package_versions, const fs::path& dir) {
  fs::create_directories(dir);
  // apt fetches as the unprivileged _apt user: let it write there, then take the files back.
  std::vector<std::string> extra;
  struct passwd* apt_user = ::getpwnam("_apt");
  if (geteuid() == 0 && apt_user) {
    if (::chown(dir.c_str(), apt_user->pw_uid, 0) != 0) extra = {"-o", "APT::Sandbox::User=root"};
  } else {
    extra = {"-o", "APT::Sandbox::User=root"};
  }
  ExecOptions opt;
  opt.cwd = dir;
  opt.timeout = std::chrono::minutes(20);
  run_checked(with(with(with({"apt-get"}, apt_options(dirs_)), extra), with({"-q", "download"}, package_versions)), opt);
  if (geteuid() == 0) {
    [[maybe_unused]] int ignored = ::chown(dir.c_str(), 0, 0);
    for (const auto& e : fs::directory_iterator(dir)) ignored = ::chown(e.path().c_str(), 0, 0);
  }
}

}  // namespace scalelab::vm
