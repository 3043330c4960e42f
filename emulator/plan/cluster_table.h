#pragma once
// cluster.tsv: the cluster file's header, tiers and ranks as one tab-separated line each, which
// scalelab's agents read at start-up instead of cluster.json. At 1024 ranks each of the 1024
// agents spent 12-14 ms of CPU on the 421 KB JSON (nlohmann's lexer alone 5.5 ms of it): 14 CPU-s
// on 2 cores, half of the start-up. The table takes about a millisecond to read. It is written
// from the same JSON, just before it, and read by agents/collectives/cluster_table.h; cluster.json
// stays the reference for users and tools (SCALELAB_CLUSTER_FILE).
#include <string>

#include <nlohmann/json.hpp>

namespace scalelab::plan {

inline constexpr const char* kClusterTableFile = "cluster.tsv";

// The table of `cluster_file` (plan::cluster_file_json's shape). Throws std::invalid_argument when a
// value holds a tab or a line break, which the format cannot carry.
std::string cluster_table_text(const nlohmann::json& cluster_file);

}  // namespace scalelab::plan
