#pragma once
// Pure parts of talking to apt: where the machine's Debian mirror is, the project's own sources
// list, and reading `apt-cache policy` / `apt-cache show` output. No process is run here.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::vm {

// The machine's Debian archive, as its own apt sources name it.
struct MirrorSource {
  std::string uri;        // e.g. "http://<mirror>/debian"
  std::string signed_by;  // keyring path from the host's entry, or empty (apt's trusted keys)
};

// From a deb822 `.sources` file: the first enabled "deb" stanza with a non-security suite.
std::optional<MirrorSource> mirror_from_deb822(std::string_view text);
// From a one-line-style `sources.list`: the first non-security "deb" line.
std::optional<MirrorSource> mirror_from_one_line(std::string_view text);

// Suites searched for a capable kernel, in order of preference.
const std::vector<std::string>& default_suites();

// The project's own sources list (one-line format, component main) for these suites.
std::string make_sources_list(const MirrorSource& mirror, const std::vector<std::string>& suites);

// One paragraph of `apt-cache show` output; continuation lines are joined with '\n'.
using Stanza = std::map<std::string, std::string, std::less<>>;
std::vector<Stanza> parse_stanzas(std::string_view text);
std::string field(const Stanza& s, std::string_view name);  // "" when absent

// Names in a Depends field, every alternative included: "a (= 1), b | c" → {a, b, c}.
std::vector<std::string> dependency_names(std::string_view depends);

// `apt-cache policy PKG…` → every version of `package` and the suites that offer it.
struct PolicyVersion {
  std::string version;
  std::vector<std::string> suites;  // "trixie-backports", "sid"; "installed" for dpkg's status
};
std::vector<PolicyVersion> parse_policy(std::string_view text, std::string_view package);

// What to download for one kernel, from its linux-image-<abi> stanza. Debian's 7.x layout splits
// the kernel into linux-binary-<abi> (vmlinuz), linux-modules-<abi> and linux-base-<abi> (config,
// modules.builtin, modules.order) with linux-image-<abi> a metapackage over them; older kernels
// (6.x) ship everything in linux-image-<abi> itself.
struct KernelPackageSet {
  std::string abi;                    // uname -r: "7.3.4+deb13-amd64"
  std::string image;                  // "linux-image-7.3.4+deb13-amd64"
  std::vector<std::string> packages;  // what to fetch, in this order
  bool split_layout = false;          // true for binary/modules/base
};
std::optional<KernelPackageSet> kernel_packages_from_image(const Stanza& image);

// linux-image-amd64 (metapackage) stanza → "linux-image-<abi>" it depends on.
std::optional<std::string> image_from_metapackage(const Stanza& meta);

// From `apt-cache pkgnames linux-image-V`: only the generic amd64 flavour ("…-amd64"), not
// cloud/rt, debug symbols or unsigned images.
std::vector<std::string> generic_image_names(const std::vector<std::string>& names);

}  // namespace scalelab::vm
