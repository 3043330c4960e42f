#pragma once
// The kernel cache: /var/cache/scalelab/vm/<abi>/ holds the fetched .debs (debs/), their
// unpacked tree (root/, modules after depmod -b), the uncompressed vmlinux, the initramfs and
// manifest.json. apt's own state for the project's sources lives in …/vm/apt/. Every use
// re-checks the recorded SHA-256 of the packages and of the files booted.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "emulator/vm/log.h"
#include "emulator/vm/manifest.h"
#include "emulator/vm/resolve.h"

namespace scalelab::vm {

// $SCALELAB_VM_CACHE, else /var/cache/scalelab/vm for root and $XDG_CACHE_HOME/scalelab/vm (or
// ~/.cache/scalelab/vm) for anyone else.
std::filesystem::path default_cache_root();

struct CacheOptions {
  std::filesystem::path root = default_cache_root();
  bool refresh = false;                   // update indexes and re-resolve "auto" even when fresh
  std::chrono::hours max_age{24};         // how long indexes and an "auto" answer stay fresh
  std::vector<std::string> suites;        // empty: default_suites()
  Log log;
};

struct KernelArtifacts {
  std::filesystem::path dir;
  std::filesystem::path vmlinux;
  std::filesystem::path initramfs;
  std::filesystem::path modules_dir;  // …/lib/modules/<abi>
  Manifest manifest;
  bool fetched = false;          // downloaded during this call
  uint64_t downloaded_bytes = 0;
  double download_seconds = 0;
  double prepare_seconds = 0;    // unpack, depmod, vmlinux, initramfs
  double verify_seconds = 0;
};

// Resolves, fetches and prepares (or finds in the cache) the kernel the request names.
// Serialised across processes by a lock file in the cache root. Throws std::runtime_error.
KernelArtifacts ensure_kernel(const KernelRequest& request, const CacheOptions& options);

// Valid manifests in the cache, newest kernel first.
std::vector<Manifest> list_cached_kernels(const std::filesystem::path& root);

// Re-hashes what the manifest records; "" when everything matches, else what differs.
std::string verify_kernel_dir(const std::filesystem::path& dir, const Manifest& manifest);

// True when `file` is an ELF executable without a program interpreter (statically linked).
bool is_static_elf(const std::filesystem::path& file);

}  // namespace scalelab::vm
