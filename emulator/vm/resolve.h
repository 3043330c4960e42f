#pragma once
// Which kernel: "auto" → the newest linux-image-amd64 >= 7.1 of the first suite (trixie-backports,
// forky, sid) that has one; "7.2.13" or "7.2.13+deb14-amd64" → that version from whichever suite
// has it; a path to a .deb → that file (handled by the cache, not here).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/vm/apt_client.h"
#include "emulator/vm/log.h"

namespace scalelab::vm {

struct KernelRequest {
  enum class Kind { Auto, Version, LocalDeb };
  Kind kind = Kind::Auto;
  std::string value;  // version or path

  // "auto"/"" → Auto; a path (contains '/' or ends in .deb) → LocalDeb; "7.2.13…" → Version.
  // Throws std::invalid_argument for anything else.
  static KernelRequest parse(std::string_view text);
  std::string describe() const;
};

struct ResolvedPackage {
  std::string name;
  std::string version;
  std::string filename;  // pool path in the archive
  std::string sha256;    // from the signed index
  uint64_t size = 0;
};

struct Resolution {
  std::string suite;
  std::string version;   // Debian version of linux-image-<abi>
  std::string upstream;  // "7.3.4"
  std::string abi;       // "7.3.4+deb13-amd64"
  bool split_layout = false;
  std::vector<ResolvedPackage> packages;
};

// Throws std::runtime_error saying what each suite offered when nothing fits.
Resolution resolve_kernel(const KernelRequest& request, AptIndex& apt, const std::vector<std::string>& suites,
                          std::string_view minimum, const Log& log);

}  // namespace scalelab::vm
