// What a TCP transport is configured with (the cluster's base port, the agent's flags).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace scalelab::agent {

struct TcpOptions {
  uint16_t base_port = 29500;
  std::string listen_address = "0.0.0.0";
  int socket_buffer_bytes = 4 << 20;
  bool bind_source = true;  // bind outgoing connections to the route's local address (pins the interface)
  std::string cluster;      // the cluster's name, carried in the hello (connect_comm sets it)
  // Bytes a peer may send ahead of this rank's posted receives; past it the peer is a runaway
  // or hostile sender and the rank ends naming it, instead of buffering until memory runs out.
  // A collective's step never has more than a message in flight, and a message is below 1 GiB.
  std::size_t max_staged_bytes = std::size_t{1} << 31;
  // A socket already listening on base_port + rank, made by the launcher before any rank started
  // (SCALELAB_TCP_LISTEN_FD), so no peer's connect is ever refused; -1: the transport listens itself.
  int listen_fd = -1;
};

// The descriptor the launcher passed in SCALELAB_TCP_LISTEN_FD (emulator/process/listening_port.h),
// or -1 when there is none; throws std::runtime_error when the variable is not a descriptor number.
int inherited_listen_fd();

}  // namespace scalelab::agent
