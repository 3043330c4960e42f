#include "emulator/vm/resolve.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "emulator/vm/apt.h"
#include "emulator/vm/version.h"

namespace scalelab::vm {
namespace {

bool contains(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// First stanza of `apt-cache show pkg=version` whose Version matches.
Stanza show_one(AptIndex& apt, const std::string& package, const std::string& version) {
  for (auto& s : parse_stanzas(apt.show(package + "=" + version)))
    if (field(s, "Package") == package && field(s, "Version") == version) return s;
  throw std::runtime_error("apt-cache show " + package + "=" + version + ": no such package version in the index");
}

Resolution finish(AptIndex& apt, const std::string& suite, const std::string& image, const std::string& version) {
  auto image_stanza = show_one(apt, image, version);
  auto set = kernel_packages_from_image(image_stanza);
  if (!set) throw std::runtime_error(image + " is not a linux-image package");
  Resolution r;
  r.suite = suite;
  r.version = version;
  r.upstream = upstream_version(version);
  r.abi = set->abi;
  r.split_layout = set->split_layout;
  if (set->split_layout && set->packages.size() < 2)
    throw std::runtime_error(image + " depends on a kernel binary but on no linux-modules package");
  for (const auto& name : set->packages) {
    auto s = show_one(apt, name, version);
    ResolvedPackage p;
    p.name = name;
    p.version = version;
    p.filename = field(s, "Filename");
    p.sha256 = field(s, "SHA256");
    try {
      p.size = std::stoull(field(s, "Size"));
    } catch (const std::exception&) {
      p.size = 0;
    }
    if (p.sha256.size() != 64) throw std::runtime_error(name + "=" + version + ": the index gives no SHA256");
    r.packages.push_back(std::move(p));
  }
  return r;
}

// The version part of an image name: "linux-image-7.2.12+deb14-amd64" with prefix
// "linux-image-7.2.12" matches only when the next character ends the version.
bool exact_version_name(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return false;
  char next = name[prefix.size()];
  return next == '+' || next == '-';
}

}  // namespace

KernelRequest KernelRequest::parse(std::string_view text) {
  KernelRequest r;
  if (text.empty() || text == "auto") return r;
  auto ends_with = [&](std::string_view suf) { return text.size() >= suf.size() && text.substr(text.size() - suf.size()) == suf; };
  if (text.find('/') != std::string_view::npos || ends_with(".deb")) {
    r.kind = Kind::LocalDeb;
    r.value = std::string(text);
    return r;
  }
  if (!std::isdigit(static_cast<unsigned char>(text.front())) || !KernelVersion::parse(text))
    throw std::invalid_argument("--kernel: \"" + std::string(text) +
                                "\" is neither auto, a version (7.2.13, 7.2.13+deb14-amd64) nor a path to a .deb");
  for (char c : text)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' || c == '~'))
      throw std::invalid_argument("--kernel: \"" + std::string(text) + "\" has characters no kernel version has");
  r.kind = Kind::Version;
  r.value = std::string(text);
  return r;
}

std::string KernelRequest::describe() const {
  switch (kind) {
    case Kind::Auto: return "the newest kernel >= " + std::string(kMinimumKernel);
    case Kind::Version: return "kernel " + value;
    case Kind::LocalDeb: return value;
  }
  return value;
}

Resolution resolve_kernel(const KernelRequest& request, AptIndex& apt, const std::vector<std::string>& suites,
                          std::string_view minimum, const Log& log) {
  if (request.kind == KernelRequest::Kind::LocalDeb) throw std::logic_error("resolve_kernel: a local .deb needs no resolution");
  std::vector<std::string> tried;
  std::string seen;
  for (const auto& suite : suites) {
    tried.push_back(suite);
    apt.update(tried);
    if (request.kind == KernelRequest::Kind::Auto) {
      const std::string meta = "linux-image-amd64";
      std::string best;
      for (const auto& pv : parse_policy(apt.policy({meta}), meta)) {
        if (!contains(pv.suites, suite)) continue;
        seen += "\n  " + suite + ": linux-image-amd64 " + pv.version;
        if (compare_versions(upstream_version(pv.version), minimum) < 0) continue;
        if (best.empty() || compare_versions(upstream_version(pv.version), upstream_version(best)) > 0) best = pv.version;
      }
      if (best.empty()) continue;
      auto meta_stanza = show_one(apt, meta, best);
      auto image = image_from_metapackage(meta_stanza);
      if (!image) throw std::runtime_error(meta + "=" + best + " depends on no linux-image-<abi> package");
      if (log) log("resolved " + *image + " " + best + " from " + suite);
      return finish(apt, suite, *image, best);
    }
    // A pinned version: an ABI name ("7.2.13+deb14-amd64") names its image directly.
    std::vector<std::string> images;
    bool abi_given = request.value.find_first_of("+-") != std::string::npos;
    if (abi_given) {
      images = {"linux-image-" + request.value};
    } else {
      for (const auto& n : generic_image_names(apt.pkgnames("linux-image-" + request.value)))
        if (exact_version_name(n, "linux-image-" + request.value)) images.push_back(n);
    }
    std::string best_image, best_version;
    for (const auto& image : images) {
      for (const auto& pv : parse_policy(apt.policy({image}), image)) {
        if (!contains(pv.suites, suite)) continue;
        seen += "\n  " + suite + ": " + image + " " + pv.version;
        if (!abi_given && upstream_version(pv.version) != request.value) continue;
        if (best_version.empty() || compare_versions(upstream_version(pv.version), upstream_version(best_version)) > 0)
          best_image = image, best_version = pv.version;
      }
    }
    if (best_image.empty()) continue;
    if (compare_versions(upstream_version(best_version), minimum) < 0 && log)
      log("warning: " + best_image + " is older than " + std::string(minimum) + ": rxe devices in network namespaces carry no traffic there");
    if (log) log("resolved " + best_image + " " + best_version + " from " + suite);
    return finish(apt, suite, best_image, best_version);
  }
  std::string all;
  for (const auto& s : suites) all += (all.empty() ? "" : ", ") + s;
  throw std::runtime_error("no " + request.describe() + " in " + all + (seen.empty() ? " (none offered a kernel)" : "; seen:" + seen) +
                           "\n  name a version with --kernel VERSION, or give a downloaded linux-image/linux-binary .deb");
}

}  // namespace scalelab::vm
