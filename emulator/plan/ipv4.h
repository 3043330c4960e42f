#pragma once
// IPv4 addresses and prefixes as plain integers, and a pool that hands out aligned subnets.
#include <cstdint>
#include <string>

namespace scalelab::plan {

std::string ipv4_to_string(std::uint32_t address);
std::uint32_t ipv4_from_string(const std::string& dotted);  // throws std::invalid_argument

struct Subnet {
  std::uint32_t network = 0;
  int prefix = 32;
  std::uint32_t size() const { return prefix == 0 ? 0 : (1u << (32 - prefix)); }
  std::uint32_t host(std::uint32_t n) const { return network + n; }  // n >= 1
  bool contains(std::uint32_t address) const;
  std::string to_string() const;  // "198.19.0.0/24"
};

// Hands out subnets from one block in order, each aligned to its own size.
class SubnetPool {
 public:
  SubnetPool(std::string name, Subnet block) : name_(std::move(name)), block_(block), next_(block.network) {}
  // Smallest subnet with room for `hosts` addresses besides network and broadcast; a
  // point-to-point link gets a /31 (RFC 3021). Throws std::runtime_error naming the pool when
  // it is exhausted.
  Subnet allocate(std::uint32_t hosts, bool point_to_point);

 private:
  std::string name_;
  Subnet block_;
  std::uint64_t next_;
};

}  // namespace scalelab::plan
