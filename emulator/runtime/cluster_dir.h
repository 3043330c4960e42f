#pragma once
// /run/scalelab/<cluster>/ (rootless: under locations::state_root()): the durable record of a cluster. `journal` lists every namespace
// before it is created (the kernel objects inside a namespace die with it, so namespaces are
// all that must be remembered); `state.json` says who is building it and how far it got.
#include <nlohmann/json.hpp>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <optional>
#include <string>
#include <vector>

#include "emulator/locations/locations.h"

namespace scalelab::runtime {

// The cluster's /etc/hosts view (plan/hosts_file.h), written at `up`, gone with the directory.
inline constexpr const char* kHostsFile = "hosts";

class ClusterDir {
 public:
  // Claims the directory atomically (mkdir). Throws ClusterExists when the name is taken.
  static ClusterDir claim(const std::string& cluster);
  // Opens an existing one; std::nullopt when there is none.
  static std::optional<ClusterDir> open(const std::string& cluster);
  static std::vector<std::string> list();  // cluster names with a directory

  const std::string& cluster() const { return cluster_; }
  std::string path(const std::string& file) const;

  // Appends "netns <name>" and flushes it to the file before returning. Thread-safe.
  void journal_netns(const std::string& netns);
  // Appends one record per name in one write(): a bring-up journals all of its namespaces
  // before it creates the first (the invariant `down` relies on), in one system call.
  void journal_netns(const std::vector<std::string>& netns);
  std::vector<std::string> journaled_netns() const;  // in creation order

  void write_json(const std::string& file, const nlohmann::json& value) const;  // atomic rename
  void write_text(const std::string& file, const std::string& text) const;      // atomic rename
  std::optional<nlohmann::json> read_json(const std::string& file) const;
  void remove();  // the whole directory

 private:
  explicit ClusterDir(std::string cluster);
  std::string cluster_, dir_;
  std::shared_ptr<std::mutex> journal_mutex_ = std::make_shared<std::mutex>();
};

class ClusterExists : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

bool process_alive(int pid);
// Gone, or a zombie nobody has reaped yet (an orphan's new parent may take its time): it has
// left its cgroups and holds nothing but its pid.
bool process_exited(int pid);

}  // namespace scalelab::runtime
