#pragma once
// The cluster table (cluster.tsv, written by emulator/plan/cluster_table.h next to cluster.json):
// the same cluster as one tab-separated line per record, read in about a millisecond where the
// JSON takes 12 ms. 1024 agents read it at once on 2 cores, so the difference is seconds of start-up.
//
//   # scalelab cluster table v1 ...            first line, exactly this prefix
//   name <name> | dilation <x> | base_port <p> | world_size <n>
//   tier <scale_up|scale_out> <bandwidth_bps> <latency_ns> <emulated_bandwidth_bps> <emulated_latency_ns>
//   rank <rank> <node> <host> <local_rank> <domain> <netns> <up ifname> <up address> <out ifname> <out address> <leaf>
//
// An empty endpoint (ifname and address both empty) is none. Other lines starting with '#' are comments.
#include <string>
#include <string_view>

#include "collectives/cluster.h"

namespace scalelab::agent {

inline constexpr std::string_view kClusterTableMagic = "# scalelab cluster table v1";

bool is_cluster_table(std::string_view text);

// Parse and validate as parse_cluster does; errors name `origin`, the line and the field.
ClusterInfo parse_cluster_table(const std::string& text, const std::string& origin = "<cluster table>");

// The file an agent reads when no --cluster-file is given: SCALELAB_CLUSTER_TABLE (which the
// launcher sets beside SCALELAB_CLUSTER_FILE when the table exists), else SCALELAB_CLUSTER_FILE;
// empty when neither is set.
std::string cluster_file_from_environment();

}  // namespace scalelab::agent
