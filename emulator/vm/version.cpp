#include "emulator/vm/version.h"

#include <algorithm>
#include <cctype>

namespace scalelab::vm {

std::optional<KernelVersion> KernelVersion::parse(std::string_view text) {
  KernelVersion v;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) break;
    long n = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      n = n * 10 + (text[i] - '0');
      if (n > 1'000'000) return std::nullopt;
      ++i;
    }
    v.parts.push_back(static_cast<int>(n));
    if (i < text.size() && text[i] == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])))
      ++i;
    else
      break;
  }
  if (v.parts.empty()) return std::nullopt;
  return v;
}

std::string KernelVersion::str() const {
  std::string s;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) s += '.';
    s += std::to_string(parts[i]);
  }
  return s;
}

std::strong_ordering KernelVersion::operator<=>(const KernelVersion& other) const {
  size_t n = std::max(parts.size(), other.parts.size());
  for (size_t i = 0; i < n; ++i) {
    int a = i < parts.size() ? parts[i] : 0;
    int b = i < other.parts.size() ? other.parts[i] : 0;
    if (a != b) return a <=> b;
  }
  return std::strong_ordering::equal;
}

int compare_versions(std::string_view a, std::string_view b) {
  auto va = KernelVersion::parse(a);
  auto vb = KernelVersion::parse(b);
  if (!va || !vb) return va ? 1 : (vb ? -1 : 0);
  auto c = *va <=> *vb;
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string upstream_version(std::string_view v) {
  if (auto colon = v.find(':'); colon != std::string_view::npos) v.remove_prefix(colon + 1);
  if (auto dash = v.rfind('-'); dash != std::string_view::npos) v = v.substr(0, dash);
  // Backport and repack suffixes are not part of the kernel's own version.
  if (auto cut = v.find_first_of("~+"); cut != std::string_view::npos) v = v.substr(0, cut);
  return std::string(v);
}

}  // namespace scalelab::vm
