#include "emulator/process/rank_environment.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

using namespace scalelab::process;

namespace {
nlohmann::json sample_cluster() {
  return nlohmann::json::parse(R"({"name": "tiny", "base_port": 29500, "ranks": [
    {"rank": 0, "node": "gpu0", "host": 0, "local_rank": 0, "scale_up": {"ifname": "nvl0", "address": "198.18.0.1"}, "scale_out": {"ifname": "nic0", "address": "198.19.0.2"}},
    {"rank": 1, "node": "gpu1", "host": 0, "local_rank": 1, "scale_up": {"ifname": "nvl0", "address": "198.18.0.2"}, "scale_out": null},
    {"rank": 2, "node": "gpu2", "host": 1, "local_rank": 0, "scale_up": null, "scale_out": {"ifname": "nic0", "address": "198.19.0.3"}}]})");
}
}  // namespace

TEST(RankEnvironment, TorchrunStyleVariables) {
  auto env = rank_environment(sample_cluster(), 1, "/run/scalelab/tiny/cluster.json");
  EXPECT_EQ(env["RANK"], "1");
  EXPECT_EQ(env["WORLD_SIZE"], "3");
  EXPECT_EQ(env["LOCAL_RANK"], "1");
  EXPECT_EQ(env["LOCAL_WORLD_SIZE"], "2");
  EXPECT_EQ(env["MASTER_ADDR"], "198.19.0.2") << "rank 0's rail address reaches every rank";
  EXPECT_EQ(env["MASTER_PORT"], "29400");
  EXPECT_EQ(env["SCALELAB_CLUSTER_FILE"], "/run/scalelab/tiny/cluster.json");
  EXPECT_EQ(env["SCALELAB_NODE"], "gpu1");
  EXPECT_EQ(rank_environment(sample_cluster(), 2, "f")["LOCAL_WORLD_SIZE"], "1");
}

TEST(RankEnvironment, MasterFallsBackToScaleUpWithoutARailNic) {
  auto cluster = sample_cluster();
  cluster["ranks"][0]["scale_out"] = nullptr;
  EXPECT_EQ(rank_environment(cluster, 0, "f")["MASTER_ADDR"], "198.18.0.1");
}

TEST(ExpandVariables, ReplacesKnownNamesOnly) {
  std::map<std::string, std::string> env = {{"RANK", "3"}, {"WORLD_SIZE", "8"}};
  EXPECT_EQ(expand_variables("--rank $RANK/${WORLD_SIZE}", env), "--rank 3/8");
  EXPECT_EQ(expand_variables("$HOME ${RANK $ ${RANKX} $", env), "$HOME ${RANK $ ${RANKX} $");
  EXPECT_EQ(expand_variables("out-$RANK.log", env), "out-3.log");
}

TEST(RankEnvironment, SocketInterfacesAreTheRanksOwnReachableNic) {
  // gloo and NCCL would otherwise bind to whatever the shared hostname resolves to (loopback).
  auto rail = rank_environment(sample_cluster(), 2, "f");
  EXPECT_EQ(rail["GLOO_SOCKET_IFNAME"], "nic0");
  EXPECT_EQ(rail["NCCL_SOCKET_IFNAME"], "nic0");
  EXPECT_EQ(rail["TP_SOCKET_IFNAME"], "nic0");
  EXPECT_EQ(rank_environment(sample_cluster(), 1, "f")["GLOO_SOCKET_IFNAME"], "nvl0") << "no rail NIC: its scale-up link";
}

TEST(RankEnvironment, NamesTheClusterTableOnlyWhenItIsBesideTheClusterFile) {
  const auto dir = std::filesystem::temp_directory_path() / ("rank_env_table_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cluster_json = (dir / "cluster.json").string();
  EXPECT_EQ(rank_environment(sample_cluster(), 0, cluster_json).count("SCALELAB_CLUSTER_TABLE"), 0u)
      << "no table written: the agents must read cluster.json";
  std::ofstream(dir / "cluster.tsv") << "# scalelab cluster table v1\n";
  EXPECT_EQ(rank_environment(sample_cluster(), 0, cluster_json)["SCALELAB_CLUSTER_TABLE"], (dir / "cluster.tsv").string());
  std::filesystem::remove_all(dir);
}
