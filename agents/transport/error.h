// Deadlines, per-peer routes (which link a peer is reached over) and the structured CollectiveError.
#pragma once

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scalelab::agent {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// An absolute point in time every blocking wait is bounded by. Remembers its budget for messages.
class Deadline {
 public:
  static Deadline after(Millis budget) { return Deadline(Clock::now() + budget, budget); }
  Clock::time_point at() const { return at_; }
  Millis budget() const { return budget_; }
  bool expired() const { return Clock::now() >= at_; }
  Millis remaining() const;
  // Milliseconds to pass to poll(): remaining time, rounded up, capped at `cap_ms` (if >= 0).
  int poll_ms(int cap_ms = -1) const;

 private:
  Deadline(Clock::time_point at, Millis budget) : at_(at), budget_(budget) {}
  Clock::time_point at_;
  Millis budget_;
};

enum class Tier { scale_up, scale_out };
std::string_view tier_name(Tier t);

// How this rank reaches one peer: the tier, the local interface/address and the peer's address/port.
struct PeerRoute {
  int rank = -1;
  int peer = -1;
  Tier tier = Tier::scale_out;
  std::string ifname;         // local interface ("nic0"), "inproc" for the in-process transport
  std::string local_address;  // "198.19.0.2"
  std::string peer_address;   // "198.19.1.2"
  uint16_t peer_port = 0;     // base_port + peer
  // "nic0 198.19.0.2 -> 198.19.1.2"
  std::string link() const;
};

struct ErrorInfo {
  int rank = -1;
  int peer = -1;
  std::string link;       // "nic0 198.19.0.2 -> 198.19.1.2"
  std::string tier;       // "scale_up" | "scale_out"
  std::string transport;  // "tcp" | "verbs" | "inprocess"
  std::string cause;      // "timeout after 2000 ms ...", "connection reset (ECONNRESET)", "IBV_WC_RETRY_EXC_ERR ..."
  double elapsed_ms = -1;  // time since the failing collective (or connect) started; -1 unknown
};

class CollectiveError : public std::runtime_error {
 public:
  explicit CollectiveError(ErrorInfo info);
  CollectiveError(const PeerRoute& route, std::string transport, std::string cause);

  const ErrorInfo& info() const { return info_; }
  void set_elapsed_ms(double ms) { info_.elapsed_ms = ms; }
  // One JSON object on one line: {"rank":..,"peer":..,"link":..,"tier":..,"transport":..,"cause":..,"elapsed_ms":..}
  std::string json() const;

 private:
  ErrorInfo info_;
};

// "ECONNRESET" etc. for the errno values a transport reports; falls back to the number.
std::string errno_name(int err);
// "connection reset by peer (ECONNRESET)"
std::string errno_cause(int err);

}  // namespace scalelab::agent
