// Connection set-up of the TCP transport: every peer gets two connections, one per direction. The
// connection a rank dials carries its sends to the peer; the one the peer dials carries the peer's
// sends here. Data never shares a connection with the other direction's data (NCCL's sockets do the
// same), and a pair needs no agreement on who dials. Every dial and accept moves forward in one poll
// loop, so a peer that is not listening yet delays only its own connection; a refused dial is tried
// again with a growing pause, never in a tight loop.
//
// A dialled connection starts with this rank's hello (transport/tcp/wire.h); an accepted one must
// start with a hello of a peer in `peers`, from the address the plan gives it, once. Anything else
// (garbage, another cluster or world, a duplicate, a source outside the plan) ends the set-up with a
// CollectiveError naming it.
#pragma once

#include <map>
#include <vector>

#include "transport/error.h"
#include "transport/tcp/tcp_options.h"

namespace scalelab::agent {

struct TcpPeerSockets {
  int send_fd = -1;  // dialled by this rank
  int recv_fd = -1;  // dialled by the peer, accepted on the listening socket
};

struct TcpConnections {
  std::map<int, TcpPeerSockets> peers;
  int redialled = 0;  // dials made again after a refusal
};

// Returns both sockets of every peer, non-blocking and tuned. `listen_fd` is listening on
// opts.base_port + rank. Throws CollectiveError (sockets closed) when the deadline passes first.
TcpConnections connect_tcp_peers(int listen_fd, int rank, int world, const std::vector<PeerRoute>& peers,
                                                const TcpOptions& opts, Deadline deadline);

// Sets TCP_NODELAY and both buffer sizes (0: the kernel's).
void tune_tcp_socket(int fd, int buffer_bytes);
// Both buffer sizes alone (0: leave the kernel's). On a listener, accepted sockets inherit them
// from the SYN on, so the window can scale to them.
void set_socket_buffers(int fd, int buffer_bytes);

}  // namespace scalelab::agent
