#pragma once
// apt with the project's own sources list and state directories, so the host's apt setup is
// neither used nor touched: `apt-get -o Dir::Etc::sourcelist=… update`, `apt-cache policy/show`,
// `apt-get download`. apt verifies the indexes' signatures and every download's hash.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "emulator/vm/apt.h"
#include "emulator/vm/log.h"

namespace scalelab::vm {

struct AptDirs {
  std::filesystem::path root;  // e.g. /var/cache/scalelab/vm/apt
  std::filesystem::path sources_list() const { return root / "sources.list"; }
  std::filesystem::path lists() const { return root / "lists"; }
  std::filesystem::path cache() const { return root / "cache"; }
  std::filesystem::path stamp() const { return root / "update-stamp.json"; }
};

// The -o options that point apt at these directories and nothing of the host's lists.
std::vector<std::string> apt_options(const AptDirs& dirs);

// The machine's Debian mirror from /etc/apt (deb822 .sources first, then .list files).
// SCALELAB_VM_MIRROR=URI overrides. Throws when none is configured.
MirrorSource host_mirror();

// What resolution needs from apt; tests give canned output.
class AptIndex {
 public:
  virtual ~AptIndex() = default;
  // Makes these suites' indexes present (may skip when fresh).
  virtual void update(const std::vector<std::string>& suites) = 0;
  virtual std::string policy(const std::vector<std::string>& packages) = 0;
  virtual std::string show(const std::string& package_version) = 0;  // "pkg=version"
  virtual std::vector<std::string> pkgnames(const std::string& prefix) = 0;
};

class AptClient final : public AptIndex {
 public:
  AptClient(AptDirs dirs, MirrorSource mirror, std::chrono::hours max_age, bool force_update, Log log);
  void update(const std::vector<std::string>& suites) override;
  std::string policy(const std::vector<std::string>& packages) override;
  std::string show(const std::string& package_version) override;
  std::vector<std::string> pkgnames(const std::string& prefix) override;
  // Downloads "pkg=version" items into `dir` (apt checks each against the signed index).
  void download(const std::vector<std::string>& package_versions, const std::filesystem::path& dir);

  const MirrorSource& mirror() const { return mirror_; }
  bool updated() const { return updated_; }

 private:
  AptDirs dirs_;
  MirrorSource mirror_;
  std::chrono::hours max_age_;
  bool force_;
  Log log_;
  bool updated_ = false;
};

}  // namespace scalelab::vm
