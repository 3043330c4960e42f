#include "emulator/vm/manifest.h"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace scalelab::vm {
namespace {

template <typename T>
T get(const nlohmann::json& j, const char* key) {
  if (!j.contains(key)) throw std::runtime_error(std::string("manifest: missing \"") + key + "\"");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(std::string("manifest: \"") + key + "\" has the wrong type");
  }
}

}  // namespace

nlohmann::json Manifest::to_json() const {
  nlohmann::json pk = nlohmann::json::array();
  for (const auto& p : packages)
    pk.push_back({{"name", p.name}, {"version", p.version}, {"file", p.file}, {"sha256", p.sha256}, {"size", p.size}});
  return {{"schema", schema},
          {"abi", abi},
          {"upstream", upstream},
          {"debian_version", debian_version},
          {"suite", suite},
          {"source", source},
          {"origin", origin},
          {"packages", pk},
          {"vmlinux", vmlinux},
          {"vmlinux_sha256", vmlinux_sha256},
          {"initramfs", initramfs},
          {"initramfs_sha256", initramfs_sha256},
          {"initramfs_recipe", initramfs_recipe},
          {"modules_dir", modules_dir},
          {"created", created}};
}

Manifest Manifest::from_json(const nlohmann::json& j) {
  if (!j.is_object()) throw std::runtime_error("manifest: not a JSON object");
  Manifest m;
  m.schema = get<int>(j, "schema");
  if (m.schema != kSchema) throw std::runtime_error("manifest: schema " + std::to_string(m.schema) + " is not " + std::to_string(kSchema));
  m.abi = get<std::string>(j, "abi");
  m.upstream = get<std::string>(j, "upstream");
  m.debian_version = get<std::string>(j, "debian_version");
  m.suite = get<std::string>(j, "suite");
  m.source = get<std::string>(j, "source");
  m.origin = get<std::string>(j, "origin");
  auto pk = get<nlohmann::json>(j, "packages");
  if (!pk.is_array() || pk.empty()) throw std::runtime_error("manifest: \"packages\" must be a non-empty array");
  for (const auto& p : pk) {
    ManifestPackage mp{get<std::string>(p, "name"), get<std::string>(p, "version"), get<std::string>(p, "file"),
                       get<std::string>(p, "sha256"), get<uint64_t>(p, "size")};
    if (mp.sha256.size() != 64) throw std::runtime_error("manifest: package " + mp.name + " has no valid sha256");
    if (mp.file.empty() || mp.file.front() == '/' || mp.file.find("..") != std::string::npos)
      throw std::runtime_error("manifest: package " + mp.name + " has a bad file name");
    m.packages.push_back(std::move(mp));
  }
  m.vmlinux = get<std::string>(j, "vmlinux");
  m.vmlinux_sha256 = get<std::string>(j, "vmlinux_sha256");
  m.initramfs = get<std::string>(j, "initramfs");
  m.initramfs_sha256 = get<std::string>(j, "initramfs_sha256");
  m.initramfs_recipe = get<std::string>(j, "initramfs_recipe");
  m.modules_dir = get<std::string>(j, "modules_dir");
  m.created = get<std::string>(j, "created");
  if (m.abi.empty()) throw std::runtime_error("manifest: empty \"abi\"");
  return m;
}

Manifest Manifest::parse(const std::string& text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::runtime_error(std::string("manifest: not JSON: ") + e.what());
  }
  return from_json(j);
}

}  // namespace scalelab::vm
