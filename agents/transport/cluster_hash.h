// A cluster's identity on the wire: FNV-1a of its name. Both transports' hellos carry it, so a rank
// of another cluster that reaches this one's ports is told apart even when its name is cut short.
#pragma once

#include <cctype>
#include <cstdint>
#include <string>

#include <fmt/format.h>

namespace scalelab::agent {

inline uint64_t cluster_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

// A name a peer carried, made printable for messages: anything outside [A-Za-z0-9_.-] as \xNN.
inline std::string printable_cluster_name(const std::string& s) {
  std::string out;
  for (unsigned char ch : s) {
    if (std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.')
      out += static_cast<char>(ch);
    else
      out += fmt::format("\\x{:02x}", ch);
  }
  return out;
}

}  // namespace scalelab::agent
