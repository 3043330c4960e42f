#pragma once
// Kernel version arithmetic: "7.2.13" < "7.10.1", Debian package versions ("7.3.4-1~bpo13+1")
// and kernel ABI names ("7.3.4+deb13-amd64", "6.1.0-49-amd64").
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::vm {

// The leading dotted-number part of a version: "7.2.13+deb14-amd64" → {7,2,13}.
struct KernelVersion {
  std::vector<int> parts;

  static std::optional<KernelVersion> parse(std::string_view text);
  std::string str() const;
  // Numeric, part by part; missing parts count as 0 ("7.1" == "7.1.0").
  std::strong_ordering operator<=>(const KernelVersion& other) const;
  bool operator==(const KernelVersion& other) const { return (*this <=> other) == 0; }
};

// Compares the leading dotted numbers of two strings; an unparsable one sorts first.
int compare_versions(std::string_view a, std::string_view b);

// Debian package version → upstream: "7.3.4-1~bpo13+1" → "7.3.4", "1:2.3-4" → "2.3".
std::string upstream_version(std::string_view debian_version);

// The minimum for rxe devices that carry traffic inside network namespaces.
inline constexpr std::string_view kMinimumKernel = "7.1";

}  // namespace scalelab::vm
