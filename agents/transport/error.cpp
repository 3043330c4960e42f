#include "transport/error.h"

#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scalelab::agent {

Millis Deadline::remaining() const {
  const auto now = Clock::now();
  if (now >= at_) return Millis(0);
  return std::chrono::duration_cast<Millis>(at_ - now);
}

int Deadline::poll_ms(int cap_ms) const {
  const auto now = Clock::now();
  if (now >= at_) return 0;
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(at_ - now).count();
  long long ms = (us + 999) / 1000;
  if (cap_ms >= 0 && ms > cap_ms) ms = cap_ms;
  return static_cast<int>(ms);
}

std::string_view tier_name(Tier t) { return t == Tier::scale_up ? "scale_up" : "scale_out"; }

std::string PeerRoute::link() const {
  return fmt::format("{} {} -> {}", ifname.empty() ? "?" : ifname, local_address.empty() ? "?" : local_address,
                     peer_address.empty() ? "?" : peer_address);
}

namespace {
std::string describe(const ErrorInfo& i) {
  return fmt::format("rank {}: collective failed with peer rank {} over {} link {} ({}): {}", i.rank, i.peer, i.tier,
                     i.link, i.transport, i.cause);
}
}  // namespace

CollectiveError::CollectiveError(ErrorInfo info) : std::runtime_error(describe(info)), info_(std::move(info)) {}

CollectiveError::CollectiveError(const PeerRoute& route, std::string transport, std::string cause)
    : CollectiveError(ErrorInfo{route.rank, route.peer, route.link(), std::string(tier_name(route.tier)),
                                std::move(transport), std::move(cause), -1}) {}

std::string CollectiveError::json() const {
  nlohmann::json j = {{"rank", info_.rank},   {"peer", info_.peer},           {"link", info_.link},
                      {"tier", info_.tier},   {"transport", info_.transport}, {"cause", info_.cause},
                      {"elapsed_ms", info_.elapsed_ms < 0 ? nlohmann::json(nullptr)
                                                          : nlohmann::json(std::round(info_.elapsed_ms * 10) / 10)}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string errno_name(int err) {
  switch (err) {
    case ECONNRESET: return "ECONNRESET";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNABORTED: return "ECONNABORTED";
    case EPIPE: return "EPIPE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ENETUNREACH: return "ENETUNREACH";
    case ENETDOWN: return "ENETDOWN";
    case EADDRINUSE: return "EADDRINUSE";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENODEV: return "ENODEV";
    default: return fmt::format("errno {}", err);
  }
}

std::string errno_cause(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return fmt::format("{} ({})", s, errno_name(err));
}

}  // namespace scalelab::agent
