// The agents' reader of cluster.tsv: the same cluster as cluster.json, and errors that name the
// line and the field.
#include "collectives/cluster_table.h"

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "emulator/model/topology.h"
#include "emulator/plan/cluster_table.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/plan_json.h"

using namespace scalelab;
using namespace scalelab::agent;

namespace {

void expect_same(const ClusterInfo& a, const ClusterInfo& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dilation, b.dilation);
  EXPECT_EQ(a.world_size, b.world_size);
  EXPECT_EQ(a.base_port, b.base_port);
  ASSERT_EQ(a.ranks.size(), b.ranks.size());
  for (std::size_t r = 0; r < a.ranks.size(); ++r) {
    const RankInfo &x = a.ranks[r], &y = b.ranks[r];
    EXPECT_EQ(x.rank, y.rank);
    EXPECT_EQ(x.node, y.node);
    EXPECT_EQ(x.host, y.host);
    EXPECT_EQ(x.local_rank, y.local_rank);
    EXPECT_EQ(x.domain, y.domain);
    EXPECT_EQ(x.netns, y.netns);
    for (auto [p, q] : {std::pair{&x.scale_up, &y.scale_up}, std::pair{&x.scale_out, &y.scale_out}}) {
      ASSERT_EQ(p->has_value(), q->has_value()) << "rank " << r;
      if (!*p) continue;
      EXPECT_EQ((*p)->ifname, (*q)->ifname);
      EXPECT_EQ((*p)->address, (*q)->address);
      EXPECT_EQ((*p)->leaf, (*q)->leaf);
    }
  }
  for (auto [p, q] : {std::pair{&a.scale_up, &b.scale_up}, std::pair{&a.scale_out, &b.scale_out}}) {
    ASSERT_EQ(p->has_value(), q->has_value());
    if (!*p) continue;
    EXPECT_EQ((*p)->bandwidth_bps, (*q)->bandwidth_bps);
    EXPECT_EQ((*p)->latency_ns, (*q)->latency_ns);
    EXPECT_EQ((*p)->emulated_bandwidth_bps, (*q)->emulated_bandwidth_bps);
    EXPECT_EQ((*p)->emulated_latency_ns, (*q)->emulated_latency_ns);
  }
}

nlohmann::json cluster_file_of(const std::string& topology) {
  return plan::cluster_file_json(plan::build_plan(model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + topology)));
}

const char* kTwoRanks =
    "# scalelab cluster table v1: test\n"
    "name\tpair\n"
    "base_port\t20000\n"
    "world_size\t2\n"
    "rank\t0\tg0\t0\t0\t-1\t\t\t\tnic0\t198.19.0.2\tleaf0\n"
    "rank\t1\tg1\t1\t0\t-1\t\t\t\tnic0\t198.19.1.2\tleaf1\n";

std::string error_of(const std::string& text) {
  try {
    parse_cluster_table(text, "cluster.tsv");
  } catch (const ClusterFileError& e) {
    return e.what();
  }
  return "(accepted)";
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  text.replace(text.find(from), from.size(), to);
  return text;
}

}  // namespace

TEST(ClusterTable, ReadsBackTheClusterItsJsonDescribes) {
  for (const char* topology : {"tiny.json", "rail128.json", "nvl72.json", "host-leaf.json"}) {
    SCOPED_TRACE(topology);
    const auto file = cluster_file_of(topology);
    const ClusterInfo from_json = parse_cluster(file.dump(), "cluster.json");
    const std::string table = plan::cluster_table_text(file);
    ASSERT_TRUE(is_cluster_table(table));
    EXPECT_FALSE(is_cluster_table(file.dump()));
    expect_same(parse_cluster_table(table, "cluster.tsv"), from_json);
    expect_same(parse_cluster_file_text(table), from_json);
  }
}

TEST(ClusterTable, LoadClusterFileTellsTheFormatsApartByTheFirstLine) {
  const auto dir = std::filesystem::temp_directory_path() / ("cluster_table_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "cluster.tsv") << kTwoRanks;
  const ClusterInfo c = load_cluster_file((dir / "cluster.tsv").string());
  EXPECT_EQ(c.name, "pair");
  EXPECT_EQ(c.base_port, 20000);
  ASSERT_EQ(c.world_size, 2);
  EXPECT_EQ(c.ranks[1].scale_out->address, "198.19.1.2");
  EXPECT_FALSE(c.ranks[1].scale_up);
  EXPECT_EQ(route_between(c, 0, 1).peer_port, 20001);
  std::filesystem::remove_all(dir);
}

TEST(ClusterTable, ErrorsNameTheLineTheFieldAndWhatIsWrong) {
  EXPECT_EQ(error_of(kTwoRanks), "(accepted)");
  EXPECT_NE(error_of(replace(kTwoRanks, "v1: test", "v2: newer")).find("line 1: not a version 1 cluster table"), std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "\tleaf1\n", "\n")).find("cluster.tsv: line 6 (rank): has 11 fields, a rank line has 12"),
            std::string::npos)
      << error_of(replace(kTwoRanks, "\tleaf1\n", "\n"));
  EXPECT_NE(error_of(replace(kTwoRanks, "rank\t1\tg1\t1", "rank\t0\tg1\t1")).find("line 6 (rank): duplicate rank 0 (also on line 5)"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "rank\t1\tg1\t1", "rank\t1\tg1\tx")).find("line 6 (host): \"x\" is not an integer"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "world_size\t2", "world_size\t3")).find("has 2 rank lines but world_size is 3"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "nic0\t198.19.1.2", "nic0\t")).find("line 6 (scale_out): needs both an ifname and an address"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "base_port\t20000", "base_port\t70000")).find("line 3 (base_port): must be a TCP port"),
            std::string::npos);
  EXPECT_NE(error_of(replace(kTwoRanks, "name\tpair", "colour\tblue")).find("line 2 (colour): not a record"), std::string::npos);
  EXPECT_NE(error_of(std::string(kTwoRanks) + "dilation\t-1\n").find("line 7 (dilation): must be > 0"), std::string::npos);
}

TEST(ClusterTable, ARankWithPeersOutsideItsDomainNeedsAScaleOutEndpoint) {
  // Rank 1 has only a scale-up link, but no domain mate: rank 0 is outside its domain.
  const std::string e = error_of(replace(kTwoRanks, "rank\t1\tg1\t1\t0\t-1\t\t\t\tnic0\t198.19.1.2\tleaf1",
                                         "rank\t1\tg1\t1\t0\t-1\t\tnvl0\t198.18.0.2\t\t\t"));
  EXPECT_NE(e.find("line 6 (scale_out): missing, but rank 1 reaches rank 0"), std::string::npos) << e;
}

TEST(ClusterTable, TheEnvironmentPrefersTheTableToTheJson) {
  ::unsetenv("SCALELAB_CLUSTER_TABLE");
  ::unsetenv("SCALELAB_CLUSTER_FILE");
  EXPECT_EQ(cluster_file_from_environment(), "");
  ::setenv("SCALELAB_CLUSTER_FILE", "/run/scalelab/c/cluster.json", 1);
  EXPECT_EQ(cluster_file_from_environment(), "/run/scalelab/c/cluster.json");
  ::setenv("SCALELAB_CLUSTER_TABLE", "/run/scalelab/c/cluster.tsv", 1);
  EXPECT_EQ(cluster_file_from_environment(), "/run/scalelab/c/cluster.tsv");
  ::unsetenv("SCALELAB_CLUSTER_TABLE");
  ::unsetenv("SCALELAB_CLUSTER_FILE");
}
