// A cluster's identity on the wire: FNV-1a of its name. Both transports' hellos carry it, so a rank
// of another cluster that reaches this one's ports is told apart even when its name is cut short.
#pragma once

#include <cstdint>
#include <string>

namespace scalelab::agent {

inline uint64_t cluster_hash(const std::string& name) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char ch : name) {
    h ^= ch;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace scalelab::agent
