// The cluster file the emulator's runtime writes (one per cluster), and peer addressing derived from it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "transport/error.h"

namespace scalelab::agent {

struct Endpoint {
  std::string ifname;
  std::string address;
  std::string leaf;  // scale_out only; may be empty
};

struct RankInfo {
  int rank = -1;
  std::string node;
  int host = -1;
  int local_rank = -1;
  int domain = -1;  // scale-up domain; < 0 = none
  std::string netns;
  std::optional<Endpoint> scale_up, scale_out;
};

struct TierInfo {
  double bandwidth_bps = 0;
  double latency_ns = 0;
  double emulated_bandwidth_bps = 0;
  double emulated_latency_ns = 0;
};

struct ClusterInfo {
  std::string name;
  double dilation = 1;
  int world_size = 0;
  uint16_t base_port = 29500;
  std::vector<RankInfo> ranks;  // index == rank
  std::optional<TierInfo> scale_up, scale_out;
};

class ClusterFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parse and validate the JSON cluster file (comments allowed). `origin` names the source in error messages.
ClusterInfo parse_cluster(const std::string& text, const std::string& origin = "<cluster>");
// Either form the runtime writes: the table (collectives/cluster_table.h) by its first line, else JSON.
ClusterInfo parse_cluster_file_text(const std::string& text, const std::string& origin = "<cluster>");
ClusterInfo load_cluster_file(const std::string& path);

// Where a rank's field is in the file being read ("/ranks/3/scale_up", "line 7 (scale_up)"), for errors.
using RankLocation = std::function<std::string(int rank, const char* field)>;
// The check both readers end with: a rank with domain mates has a scale_up endpoint, one with peers
// outside its domain a scale_out endpoint. Throws ClusterFileError naming the rank and the fix.
void check_every_pair_reachable(const ClusterInfo& c, const RankLocation& where, const std::string& origin);

// A cluster of n ranks for the in-process transport: domains of `domain_size` consecutive ranks
// (0 = no scale-up domains), one host per domain.
ClusterInfo make_inprocess_cluster(int n, int domain_size);

// The ranks `members` (world ranks) as a cluster of their own, member i becoming rank i, listening
// on base_port + port_offset + i: what ncclCommSplit gives a group. Its communicator has its own
// connections, so the groups of one rank run concurrently without sharing a byte stream.
ClusterInfo sub_cluster(const ClusterInfo& c, const std::vector<int>& members, int port_offset);

// Peers with the same domain (>= 0) talk over scale_up, all others over scale_out.
Tier tier_between(const ClusterInfo& c, int a, int b);
// Route from `rank` to `peer`; throws ClusterFileError when the needed endpoint is missing.
PeerRoute route_between(const ClusterInfo& c, int rank, int peer);
// The domain id of every rank (-1 = none).
std::vector<int> domains_of(const ClusterInfo& c);

}  // namespace scalelab::agent
