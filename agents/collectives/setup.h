// Choosing a transport per tier (auto = verbs when an RDMA device carries the interface, else tcp) and
// building a connected Comm for one rank.
#pragma once
#include "collectives/algorithms.h"

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "collectives/cluster.h"
#include "collectives/communicator.h"
#include "transport/inprocess/inprocess_transport.h"
#include "transport/tcp/tcp_transport.h"
#include "transport/verbs/verbs_transport.h"

namespace scalelab::agent {

enum class TransportKind { automatic, tcp, verbs, inprocess };
std::optional<TransportKind> parse_transport_kind(std::string_view s);
std::string_view transport_kind_name(TransportKind k);

struct TierTransport {
  TransportKind kind = TransportKind::tcp;
  std::string device;  // RDMA device for verbs
  bool used = true;    // false: this rank has no peer on the tier (or no endpoint)
};

struct TransportPlan {
  TierTransport scale_up, scale_out;
  const TierTransport& of(Tier t) const { return t == Tier::scale_up ? scale_up : scale_out; }
  std::string summary() const;  // "scale_up=tcp scale_out=tcp"
};

// Resolves `requested` for each tier of `rank`. Throws std::runtime_error when verbs is requested and
// no RDMA device carries the tier's interface — never a silent fallback.
TransportPlan plan_transports(const ClusterInfo& c, int rank, TransportKind requested,
                              const std::string& sysfs_root = "/sys/class/infiniband");

struct ConnectOptions {
  Millis connect_timeout{30000};
  // Peers to connect to; empty = every other rank. A ring needs two neighbours, so large
  // clusters (1024 ranks) must not open a full mesh.
  std::vector<int> peers;
  CommOptions comm;
  VerbsOptions verbs;  // base_port is taken from the cluster
  TcpOptions tcp;      // base_port is taken from the cluster
};

// Creates the transports the plan needs, connects every peer (one deadline) and returns the Comm.
// Throws CollectiveError when a peer cannot be reached in time.
std::unique_ptr<Comm> connect_comm(const ClusterInfo& c, int rank, const TransportPlan& plan,
                                   const ConnectOptions& opts);

// The ranks `rank` exchanges data with for a collective and algorithm: ring neighbours (plus,
// for hierarchical all_reduce, the scale-up domain and the rail ring); every rank for alltoall.
std::vector<int> peers_needed(const ClusterInfo& c, int rank, bool alltoall, Algo algo);
// The same for ranks whose scale-up domains are `domains`.
std::vector<int> peers_needed(const std::vector<int>& domains, int rank, bool alltoall, Algo algo);

// Every rank a thread: the in-process transport on a shared fabric.
std::unique_ptr<Comm> connect_inprocess_comm(std::shared_ptr<InProcessFabric> fabric, const ClusterInfo& c, int rank,
                                             CommOptions opts, Millis connect_timeout = Millis(30000));

}  // namespace scalelab::agent
