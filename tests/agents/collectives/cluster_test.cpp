#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "collectives/cluster.h"
#include "collectives/setup.h"
#include "transport/verbs/verbs_transport.h"

using namespace scalelab::agent;

namespace {

// The shape the runtime writes (design.md / the agent brief), 4 ranks on 2 hosts.
const char* kSample = R"({ "name": "tiny", "dilation": 1000, "world_size": 4, "base_port": 29500,
  // comments are allowed
  "ranks": [
    { "rank": 0, "node": "gpu0", "host": 0, "local_rank": 0, "domain": 0, "netns": "sl-tiny-gpu0",
      "scale_up":  { "ifname": "nvl0", "address": "198.18.0.2" },
      "scale_out": { "ifname": "nic0", "address": "198.19.0.2", "leaf": "leaf0" } },
    { "rank": 1, "node": "gpu1", "host": 0, "local_rank": 1, "domain": 0, "netns": "sl-tiny-gpu1",
      "scale_up":  { "ifname": "nvl0", "address": "198.18.0.3" },
      "scale_out": { "ifname": "nic0", "address": "198.19.1.2", "leaf": "leaf1" } },
    { "rank": 2, "node": "gpu2", "host": 1, "local_rank": 0, "domain": 1, "netns": "sl-tiny-gpu2",
      "scale_up":  { "ifname": "nvl0", "address": "198.18.1.2" },
      "scale_out": { "ifname": "nic0", "address": "198.19.0.3", "leaf": "leaf0" } },
    { "rank": 3, "node": "gpu3", "host": 1, "local_rank": 1, "domain": 1, "netns": "sl-tiny-gpu3",
      "scale_up":  null,
      "scale_out": { "ifname": "nic0", "address": "198.19.1.3", "leaf": "leaf1" } } ],
  "tiers": { "scale_up":  { "bandwidth_bps": 7200000000000, "latency_ns": 1000, "emulated_bandwidth_bps": 7200000000, "emulated_latency_ns": 1000000 },
             "scale_out": { "bandwidth_bps": 400000000000, "latency_ns": 2000, "emulated_bandwidth_bps": 400000000, "emulated_latency_ns": 2000000 } } })";

// The ClusterFileError a text gives as f.json, or "no error".
std::string msg(const std::string& text) {
  try {
    parse_cluster(text, "f.json");
  } catch (const ClusterFileError& e) {
    return std::string(e.what());
  }
  return std::string("no error");
}

}  // namespace

TEST(ClusterFile, ParsesSample) {
  // Rank 3 has no scale_up endpoint but shares domain 1 with rank 2: unreachable pair -> error.
  EXPECT_THROW(parse_cluster(kSample, "sample.json"), ClusterFileError);
  std::string ok = kSample;
  ok.replace(ok.find("\"domain\": 1, \"netns\": \"sl-tiny-gpu3\""), 11, "\"domain\": 2");
  const ClusterInfo c = parse_cluster(ok, "sample.json");
  EXPECT_EQ(c.name, "tiny");
  EXPECT_DOUBLE_EQ(c.dilation, 1000);
  EXPECT_EQ(c.world_size, 4);
  EXPECT_EQ(c.base_port, 29500);
  ASSERT_EQ(c.ranks.size(), 4u);
  EXPECT_EQ(c.ranks[0].node, "gpu0");
  EXPECT_EQ(c.ranks[0].netns, "sl-tiny-gpu0");
  EXPECT_EQ(c.ranks[0].scale_out->leaf, "leaf0");
  EXPECT_FALSE(c.ranks[3].scale_up.has_value());
  ASSERT_TRUE(c.scale_out);
  EXPECT_DOUBLE_EQ(c.scale_out->emulated_bandwidth_bps, 4e8);
  EXPECT_DOUBLE_EQ(c.scale_up->bandwidth_bps, 7.2e12);

  // Same domain -> scale_up addresses; otherwise scale_out.
  PeerRoute r01 = route_between(c, 0, 1);
  EXPECT_EQ(r01.tier, Tier::scale_up);
  EXPECT_EQ(r01.link(), "nvl0 198.18.0.2 -> 198.18.0.3");
  EXPECT_EQ(r01.peer_port, 29501);
  PeerRoute r02 = route_between(c, 0, 2);
  EXPECT_EQ(r02.tier, Tier::scale_out);
  EXPECT_EQ(r02.link(), "nic0 198.19.0.2 -> 198.19.0.3");
  EXPECT_EQ(route_between(c, 3, 2).link(), "nic0 198.19.1.3 -> 198.19.0.3");
  EXPECT_EQ(domains_of(c), (std::vector<int>{0, 0, 1, 2}));
}

TEST(ClusterFile, Defaults) {
  const ClusterInfo c = parse_cluster(R"({"ranks": [
      {"rank": 1, "scale_out": {"ifname": "lo", "address": "127.0.0.1"}},
      {"rank": 0, "scale_out": {"ifname": "lo", "address": "127.0.0.1"}}]})");
  EXPECT_EQ(c.world_size, 2);
  EXPECT_DOUBLE_EQ(c.dilation, 1);
  EXPECT_EQ(c.base_port, 29500);
  EXPECT_EQ(c.ranks[1].domain, -1);
  EXPECT_FALSE(c.scale_up);
  EXPECT_EQ(tier_between(c, 0, 1), Tier::scale_out);
}

TEST(ClusterFile, Errors) {
  EXPECT_NE(msg("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(msg(R"({"world_size": 2, "ranks": [{"rank": 0, "scale_out": {"ifname":"a","address":"1.1.1.1"}}]})")
                .find("/ranks"),
            std::string::npos);
  EXPECT_NE(msg(R"({"ranks": [{"rank": 0, "scale_out": {"ifname":"a","address":"1.1.1.1"}},
                              {"rank": 0, "scale_out": {"ifname":"a","address":"1.1.1.1"}}]})")
                .find("duplicate rank 0"),
            std::string::npos);
  EXPECT_NE(msg(R"({"ranks": [{"rank": 0, "scale_out": {"ifname":"a"}}, {"rank": 1}]})").find("/ranks/0/scale_out/address"),
            std::string::npos);
  EXPECT_NE(msg(R"({"ranks": [{"rank": 0, "scale_out": {"ifname":"a","address":"x"}},
                              {"rank": 1, "scale_up": {"ifname":"a","address":"y"}}]})")
                .find("/ranks/1/scale_out: missing, but rank 1 reaches rank 0"),
            std::string::npos);
}

// The reachability check names the array entry (not the rank number) and the fix.
TEST(ClusterFile, AMissingEndpointIsNamedByItsPlaceInTheFile) {
  const std::string m = msg(R"({"ranks": [
      {"rank": 2, "domain": 1, "scale_out": {"ifname":"n","address":"c"}},
      {"rank": 0, "domain": 0, "scale_out": {"ifname":"n","address":"a"}},
      {"rank": 1, "domain": 1, "scale_up": {"ifname":"u","address":"b"}, "scale_out": {"ifname":"n","address":"b"}}]})");
  EXPECT_NE(m.find("f.json: /ranks/0/scale_up: missing, but rank 2 shares domain 1 with rank 1"), std::string::npos) << m;
  EXPECT_NE(m.find("give it a scale_up endpoint or a domain of its own"), std::string::npos) << m;
}

TEST(ClusterFile, OnlyTheTiersARankUsesNeedEndpoints) {
  // Alone in its domain: no scale_up needed. Everyone in one domain: no scale_out needed.
  EXPECT_NO_THROW(parse_cluster(R"({"ranks": [
      {"rank": 0, "domain": 0, "scale_out": {"ifname":"n","address":"a"}},
      {"rank": 1, "domain": 1, "scale_out": {"ifname":"n","address":"b"}}]})"));
  EXPECT_NO_THROW(parse_cluster(R"({"ranks": [
      {"rank": 0, "domain": 0, "scale_up": {"ifname":"u","address":"a"}},
      {"rank": 1, "domain": 0, "scale_up": {"ifname":"u","address":"b"}}]})"));
  EXPECT_THROW(parse_cluster(R"({"ranks": [
      {"rank": 0, "domain": 0, "scale_up": {"ifname":"u","address":"a"}},
      {"rank": 1, "domain": 0, "scale_up": {"ifname":"u","address":"b"}},
      {"rank": 2, "domain": 1, "scale_up": {"ifname":"u","address":"c"}, "scale_out": {"ifname":"n","address":"c"}}]})"),
               ClusterFileError);
}

TEST(ClusterFile, LoadsFromDisk) {
  const auto p = std::filesystem::temp_directory_path() / ("scalelab_cluster_" + std::to_string(::getpid()) + ".json");
  {
    std::ofstream f(p);
    f << R"({"name": "disk", "ranks": [{"rank": 0, "scale_out": null, "scale_up": null}]})";
  }
  const ClusterInfo c = load_cluster_file(p.string());
  EXPECT_EQ(c.name, "disk");
  EXPECT_EQ(c.world_size, 1);
  std::filesystem::remove(p);
  EXPECT_THROW(load_cluster_file(p.string()), ClusterFileError);
}

TEST(TransportChoice, AutoUsesVerbsOnlyWhereAnRdmaDeviceCarriesTheInterface) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("scalelab_ib_" + std::to_string(::getpid()));
  fs::remove_all(root);
  // rxe_nic0 carries nic0 198.19.0.2 (GID index 1); rxe_other carries nic0 of another namespace.
  auto dev = [&](const std::string& name, const std::string& gid, const std::string& ndev) {
    fs::create_directories(root / name / "ports/1/gids");
    fs::create_directories(root / name / "ports/1/gid_attrs/ndevs");
    std::ofstream(root / name / "ports/1/gids/0") << "fe80:0000:0000:0000:0000:0000:0000:0001\n";
    std::ofstream(root / name / "ports/1/gids/1") << gid << "\n";
    std::ofstream(root / name / "ports/1/gid_attrs/ndevs/1") << ndev << "\n";
  };
  dev("rxe_other", "0000:0000:0000:0000:0000:ffff:c613:0102", "nic0");
  dev("rxe_nic0", "0000:0000:0000:0000:0000:ffff:c613:0002", "nic0");
  EXPECT_EQ(rdma_device_for("nic0", "198.19.0.2", root.string()), "rxe_nic0");
  EXPECT_EQ(rdma_device_for("nvl0", "198.19.0.2", root.string()), "");  // GID on another netdev
  EXPECT_EQ(rdma_device_for("nic0", "198.19.9.9", root.string()), "");
  EXPECT_EQ(rdma_device_for("nic0", "198.19.0.2", (root / "missing").string()), "");

  const ClusterInfo c = parse_cluster(R"({"ranks": [
     {"rank": 0, "domain": 0, "scale_up": {"ifname": "nvl0", "address": "198.18.0.2"}, "scale_out": {"ifname": "nic0", "address": "198.19.0.2"}},
     {"rank": 1, "domain": 0, "scale_up": {"ifname": "nvl0", "address": "198.18.0.3"}, "scale_out": {"ifname": "nic0", "address": "198.19.0.3"}},
     {"rank": 2, "domain": 1, "scale_up": {"ifname": "nvl0", "address": "198.18.1.2"}, "scale_out": {"ifname": "nic0", "address": "198.19.1.2"}}]})");
  const TransportPlan p = plan_transports(c, 0, TransportKind::automatic, root.string());
  EXPECT_EQ(p.summary(), "scale_up=tcp scale_out=verbs");
  EXPECT_EQ(p.scale_out.device, "rxe_nic0");
  EXPECT_EQ(plan_transports(c, 0, TransportKind::tcp, root.string()).summary(), "scale_up=tcp scale_out=tcp");
  // verbs requested where no device exists: an error, never a silent fallback.
  EXPECT_THROW(plan_transports(c, 0, TransportKind::verbs, root.string()), std::runtime_error);
  // Rank 2 has no scale-up peer: verbs for scale-up is not needed there.
  EXPECT_FALSE(plan_transports(c, 2, TransportKind::tcp, root.string()).scale_up.used);
  fs::remove_all(root);
}

// Found by fuzz/cluster_fuzz ("66666666666666e6666…{"): a number beyond a double's range is json's
// out_of_range, which escaped parse_cluster as a bare exception instead of a ClusterFileError.
TEST(ClusterFile, NumberTooLargeIsAClusterFileError) {
  EXPECT_NE(msg("66666666666666e6666666666666666666666666{").find("f.json: not valid JSON"), std::string::npos);
  EXPECT_NE(msg(R"({"dilation": 1e999, "ranks": []})").find("f.json: not valid JSON"), std::string::npos);
}

// Found by fuzz/cluster_fuzz (UBSan: "2.95089e+22 is outside the range of representable values of
// type 'int'"): an integer field given a float or a number too large for it is a ClusterFileError.
TEST(ClusterFile, IntegerFieldsAreCheckedIntegers) {
  const std::string ranks = R"("ranks": [{"rank": 0, "scale_out": {"ifname": "a", "address": "1.1.1.1"}}])";
  EXPECT_NE(msg(R"({"base_port": 29508888888888888888888, )" + ranks + "}").find("f.json: /base_port: must be an integer"),
            std::string::npos);
  EXPECT_NE(msg(R"({"world_size": 2.5, )" + ranks + "}").find("/world_size: must be an integer"), std::string::npos);
  EXPECT_NE(msg(R"({"world_size": -1e300, )" + ranks + "}").find("/world_size: must be an integer"), std::string::npos);
  EXPECT_NE(msg(R"({"ranks": [{"rank": 4294967296, "scale_out": {"ifname": "a", "address": "1.1.1.1"}}]})")
                .find("/ranks/0/rank: must be an integer in -2147483648..2147483647, got 4294967296"),
            std::string::npos);
  EXPECT_EQ(msg(R"({"world_size": 1, )" + ranks + "}"), "no error");
}
