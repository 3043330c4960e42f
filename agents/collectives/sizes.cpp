#include "collectives/sizes.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace scalelab::agent {

std::optional<std::uint64_t> parse_size(std::string_view s) {
  const std::string str(s);
  const char* b = str.c_str();
  char* end = nullptr;
  const double v = std::strtod(b, &end);
  if (end == b || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
  while (*end == ' ') ++end;
  double mult = 1;
  switch (*end) {
    case '\0': break;
    case 'G': case 'g': mult = 1024.0 * 1024 * 1024; ++end; break;
    case 'M': case 'm': mult = 1024.0 * 1024; ++end; break;
    case 'K': case 'k': mult = 1024.0; ++end; break;
    default: return std::nullopt;
  }
  if (*end == 'B' || *end == 'b') ++end;  // "32MB"
  if (*end != '\0') return std::nullopt;
  const double bytes = v * mult;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor, std::uint64_t step_bytes) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = min_bytes; s <= max_bytes;) {
    out.push_back(s);
    const std::uint64_t next = factor > 1 ? s * factor : s + step_bytes;
    if (next <= s || (factor > 1 && next / factor != s)) break;  // no progress, or overflow
    s = next;
  }
  return out;
}

}  // namespace scalelab::agent
