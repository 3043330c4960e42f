#include "emulator/plan/ipv4.h"

#include <arpa/inet.h>

#include <stdexcept>

namespace scalelab::plan {

std::string ipv4_to_string(std::uint32_t address) {
  in_addr a{htonl(address)};
  char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

std::uint32_t ipv4_from_string(const std::string& dotted) {
  in_addr a{};
  if (inet_pton(AF_INET, dotted.c_str(), &a) != 1) throw std::invalid_argument("not an IPv4 address: " + dotted);
  return ntohl(a.s_addr);
}

bool Subnet::contains(std::uint32_t address) const {
  if (prefix == 0) return true;
  std::uint32_t mask = prefix == 32 ? ~0u : ~((1u << (32 - prefix)) - 1);
  return (address & mask) == network;
}

std::string Subnet::to_string() const { return ipv4_to_string(network) + "/" + std::to_string(prefix); }

Subnet SubnetPool::allocate(std::uint32_t hosts, bool point_to_point) {
  int prefix = 31;
  if (hosts > 2 || !point_to_point) {
    prefix = 30;
    while (prefix > 0 && (1ull << (32 - prefix)) < std::uint64_t(hosts) + 2) --prefix;
  }
  std::uint64_t size = 1ull << (32 - prefix);
  std::uint64_t start = (next_ + size - 1) / size * size;
  std::uint64_t end = std::uint64_t(block_.network) + block_.size();
  if (start + size > end)
    throw std::runtime_error("address pool " + name_ + " (" + block_.to_string() + ") is exhausted: needed a /" +
                             std::to_string(prefix) + " for " + std::to_string(hosts) + " hosts");
  next_ = start + size;
  return Subnet{std::uint32_t(start), prefix};
}

}  // namespace scalelab::plan
