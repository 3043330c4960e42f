// Verbs transport: one RC queue pair per peer through librdmacm, registered bounce buffers, SEND/RECV
// in slot-sized chunks (many in flight, so copy-in of chunk k+1 overlaps the wire time of chunk k),
// completion-queue polling that blocks on the completion channel with a bound, never forever.
// librdmacm/libibverbs are used only in verbs_transport.cpp; this header is free of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "transport/transport.h"

namespace scalelab::agent {

struct VerbsOptions {
  uint16_t base_port = 29500;  // rdma_cm (RDMA_PS_TCP) port = base_port + rank
  int slots = 16;              // send slots and receive slots per peer
  std::size_t slot_bytes = 64 << 10;
  // rdma_cm connection parameters (facts.md): retry_count 3 makes a dead peer surface as
  // IBV_WC_RETRY_EXC_ERR after ~(3+1) ack timeouts; 7 would retry forever on rxe. rnr_retry 7
  // (infinite RNR retry) is flow control: a sender waits for the receiver to repost a buffer.
  uint8_t retry_count = 3;
  uint8_t rnr_retry_count = 7;
  int resolve_timeout_ms = 2000;
  std::string cluster;  // the cluster's name, carried in the REQ's private data (connect_comm sets it)
};

// Throws CollectiveError (peer -1) when the event channel or the listener cannot be created.
std::unique_ptr<Transport> make_verbs_transport(int rank, int world_size, VerbsOptions opts);

// Connection management, as pure decisions (the transport applies them; tests check them).
// Rank r dials peers < r (active side) and accepts peers > r (passive side).
enum class VerbsConnState { idle, resolving_addr, resolving_route, connecting, accepting, established };
enum class VerbsCmEvent {
  addr_resolved, route_resolved, established, disconnected, device_removal,
  addr_error, route_error, unreachable, rejected, connect_error,  // failures of a connection attempt
  other,                                                            // timewait exit, address change, ...
};
enum class VerbsCmAction {
  ignore,             // nothing to do (includes stale or spurious events on an established connection)
  resolve_route,      // address resolved: resolve the route
  connect,            // route resolved: create the QP, post receives, send the REQ
  mark_established,   // both QPs can receive: the channel may be used
  retry,              // active side: this attempt failed; tear it down and dial again after a pause
  drop_attempt,       // passive side: this attempt failed; tear it down and wait for the peer's next REQ
  mark_disconnected,  // the peer disconnected an established channel (DISCONNECTED, surfaced on the next wait)
  fatal,              // the channel is unusable (device removed)
};
VerbsCmAction verbs_cm_action(VerbsCmEvent event, VerbsConnState state, bool active);

// Passive side, a valid connection request from a peer: every REQ that reaches rdma_cm's user is a new
// attempt (ib_cm answers retransmitted REQs itself), and the active side has at most one attempt in
// flight, so a request with a higher attempt number than the one being accepted supersedes it.
enum class VerbsRequestAction { accept, replace, reject };
VerbsRequestAction verbs_request_action(VerbsConnState state, uint32_t accepting_attempt, uint32_t request_attempt);

// Name of the RDMA device whose port 1 carries `ipv4_address` (RoCEv2 GID ::ffff:a.b.c.d) on `ifname`,
// read from /sys/class/infiniband; empty when there is none. `sysfs_root` is for tests.
std::string rdma_device_for(const std::string& ifname, const std::string& ipv4_address,
                            const std::string& sysfs_root = "/sys/class/infiniband");

}  // namespace scalelab::agent
