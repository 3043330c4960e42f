#pragma once
// manifest.json of one cached kernel (/var/cache/scalelab/vm/<abi>/manifest.json): what was
// resolved, from where, and the SHA-256 of every package and derived file, re-checked on use.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace scalelab::vm {

struct ManifestPackage {
  std::string name;
  std::string version;
  std::string file;    // relative to the kernel's cache directory: "debs/…deb"
  std::string sha256;  // as apt's signed index gave it, and as measured after download
  uint64_t size = 0;
};

struct Manifest {
  static constexpr int kSchema = 1;
  int schema = kSchema;
  std::string abi;             // uname -r: "7.3.4+deb13-amd64"
  std::string upstream;        // "7.3.4"
  std::string debian_version;  // "7.3.4-1~bpo13+1"
  std::string suite;           // "trixie-backports"; "local" for a .deb given by path
  std::string source;          // "apt" or "local"
  std::string origin;          // the apt URI, or the local file's path
  std::vector<ManifestPackage> packages;
  std::string vmlinux;         // relative paths of the derived files, with their hashes
  std::string vmlinux_sha256;
  std::string initramfs;
  std::string initramfs_sha256;
  std::string initramfs_recipe;
  std::string modules_dir;     // relative: "root/usr/lib/modules/<abi>"
  std::string created;         // UTC, ISO 8601

  nlohmann::json to_json() const;
  // Throws std::runtime_error naming the missing or mistyped field.
  static Manifest from_json(const nlohmann::json& j);
  static Manifest parse(const std::string& text);
};

}  // namespace scalelab::vm
