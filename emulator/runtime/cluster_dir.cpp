#include "emulator/runtime/cluster_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace scalelab::runtime {

ClusterDir::ClusterDir(std::string cluster) : cluster_(std::move(cluster)), dir_(locations::state_root() + "/" + cluster_) {}

std::string ClusterDir::path(const std::string& file) const { return dir_ + "/" + file; }

ClusterDir ClusterDir::claim(const std::string& cluster) {
  mkdir(locations::state_root().c_str(), 0755);
  ClusterDir dir(cluster);
  if (mkdir(dir.dir_.c_str(), 0755) == 0) return dir;
  if (errno != EEXIST) throw std::runtime_error("cannot create " + dir.dir_ + ": " + std::strerror(errno));

  std::string detail = "it is up";
  if (auto state = dir.read_json("state.json")) {
    int pid = state->value("pid", 0);
    std::string phase = state->value("state", "");
    if (phase == "creating" && process_alive(pid)) detail = "`scalelab up` (pid " + std::to_string(pid) + ") is bringing it up right now";
    else if (phase == "creating") detail = "a previous `scalelab up` (pid " + std::to_string(pid) + ") was interrupted before it finished";
    else if (phase == "up") detail = "it is up since " + state->value("started", std::string("?")) + " from " + state->value("source", std::string("?"));
  }
  throw ClusterExists("a cluster named \"" + cluster + "\" already exists: " + detail +
                      ". Run `scalelab down " + cluster + "` first, or bring this one up under another name (`--name`, or the topology's \"name\").");
}

std::optional<ClusterDir> ClusterDir::open(const std::string& cluster) {
  ClusterDir dir(cluster);
  struct stat st;
  if (stat(dir.dir_.c_str(), &st) != 0) return std::nullopt;
  return dir;
}

std::vector<std::string> ClusterDir::list() {
  std::vector<std::string> names;
  if (DIR* d = opendir(locations::state_root().c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      // Clusters are directories; files beside them (host-neighbour-limits.json) are not.
      if (n != "." && n != ".." && std::filesystem::is_directory(locations::state_root() + "/" + n)) names.push_back(n);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ClusterDir::journal_netns(const std::string& netns) { journal_netns(std::vector<std::string>{netns}); }

void ClusterDir::journal_netns(const std::vector<std::string>& netns) {
  std::lock_guard lock(*journal_mutex_);
  std::string line;
  for (const auto& n : netns) line += "netns " + n + "\n";
  // O_APPEND + one write(): each record is whole even if the process dies mid-way through up.
  int fd = ::open(path("journal").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot write journal " + path("journal") + ": " + std::strerror(errno));
  ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error("short write to journal " + path("journal"));
}

std::vector<std::string> ClusterDir::journaled_netns() const {
  std::vector<std::string> names;
  std::ifstream in(path("journal"));
  std::string kind, name;
  while (in >> kind >> name)
    if (kind == "netns") names.push_back(name);
  return names;
}

void ClusterDir::write_json(const std::string& file, const nlohmann::json& value) const { write_text(file, value.dump(2) + "\n"); }

void ClusterDir::write_text(const std::string& file, const std::string& text) const {
  std::string tmp = path(file + ".tmp");
  {
    std::ofstream out(tmp);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  std::filesystem::rename(tmp, path(file));
}

std::optional<nlohmann::json> ClusterDir::read_json(const std::string& file) const {
  std::ifstream in(path(file));
  if (!in) return std::nullopt;
  try {
    return nlohmann::json::parse(in);
  } catch (const std::exception&) {
    return std::nullopt;  // half-written by a killed process: treat as absent
  }
}

void ClusterDir::remove() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool process_alive(int pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

bool process_exited(int pid) {
  if (!process_alive(pid)) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  // "pid (comm) S …": the state follows the last ')' (comm may hold spaces and parentheses).
  const auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && (line[close + 2] == 'Z' || line[close + 2] == 'X');
}

}  // namespace scalelab::runtime
