// Every GPU reaches every other over the tier the design says: scale-up peers via nvl0,
// everyone else via the rail NIC, and cross-rail traffic through a spine.
#include <gtest/gtest.h>

#include <regex>

#include "cluster_fixture.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/routes.h"

using namespace scalelab;
using fixtures::LiveCluster;

namespace {

int ttl_of_ping(const std::string& cluster, const std::string& from, const std::string& to) {
  auto r = fixtures::run_scalelab({"exec", cluster + "/" + from, "--", "ping", "-c", "1", "-W", "2", to});
  EXPECT_EQ(r.status, 0) << from << " → " << to << ":\n" << r.output;
  std::smatch m;
  return std::regex_search(r.output, m, std::regex("ttl=(\\d+)")) ? std::stoi(m[1]) : -1;
}

int ifindex_of(const plan::Namespace& ns, const std::string& ifname) {
  for (const auto& i : ns.interfaces)
    if (i.ifname == ifname) return i.ifindex;
  return -1;
}

std::string peer_of(const plan::Namespace& ns, const std::string& ifname) {
  for (const auto& i : ns.interfaces)
    if (i.ifname == ifname) return i.peer_node;
  return "";
}

}  // namespace

TEST(Reachability, EveryGpuPairOverTheRightTier) {
  SCALELAB_REQUIRE_ROOT();
  LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  const auto& plan = cluster.plan();
  for (const auto& src : plan.namespaces) {
    if (src.kind != model::NodeKind::gpu) continue;
    auto netns = nl::NamedNetns::open(src.netns);
    for (const auto& dst : plan.namespaces) {
      if (dst.kind != model::NodeKind::gpu || dst.node == src.node) continue;
      bool same_domain = src.domain == dst.domain;
      bool same_rail = peer_of(src, "nic0") == peer_of(dst, "nic0");
      std::string via = same_domain ? "nvl0" : "nic0";
      std::string to = cluster.address(dst.node, via);

      auto route = nl::lookup_route(netns.fd(), to);
      ASSERT_TRUE(route) << src.node << " has no route to " << dst.node << " " << to;
      EXPECT_EQ(route->oif, ifindex_of(src, via)) << src.node << " → " << dst.node << " should leave via " << via;

      int expected_ttl = (same_domain || same_rail) ? 64 : 61;  // leaf, spine, leaf route it
      EXPECT_EQ(ttl_of_ping(cluster.name(), src.node, to), expected_ttl) << src.node << " → " << dst.node;
    }
  }
}

TEST(Reachability, CrossRailTrafficCrossesASpine) {
  SCALELAB_REQUIRE_ROOT();
  LiveCluster cluster(fixtures::shipped_topology("tiny.json"));
  auto spine = nl::NamedNetns::open(cluster.node("spine0").netns);
  nl::RouteSocket sock(spine.fd());
  auto packets = [&] {
    std::uint64_t n = 0;
    for (const auto& l : nl::list_links(sock)) n += l.rx_packets;
    return n;
  };
  auto before = packets();
  // gpu0 sits on rail 0 (leaf0), gpu3 on rail 1 (leaf1), in different hosts.
  auto r = fixtures::run_scalelab({"exec", cluster.name() + "/gpu0", "--", "ping", "-c", "5", "-i", "0.05", "-W", "2",
                                   cluster.address("gpu3", "nic0")});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_GE(packets() - before, 10u) << "5 echo requests and 5 replies should have crossed spine0";
}

TEST(Reachability, LeavesHaveLiveEcmpRoutesOverEverySpine) {
  SCALELAB_REQUIRE_ROOT();
  LiveCluster cluster(fixtures::shipped_topology("h100x2.json"));
  auto leaf = nl::NamedNetns::open(cluster.node("leaf0").netns);
  nl::RouteSocket sock(leaf.fd());
  std::size_t multipath = 0;
  for (const auto& r : nl::list_ipv4_routes(sock))
    if (r.nexthops.size() == 2) multipath++;
  EXPECT_EQ(multipath, 7u) << "leaf0 should reach the 7 other rails over both spines";
}

namespace {
std::string shell_output(const std::string& command) {
  std::string out;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buffer[256];
    while (fgets(buffer, sizeof buffer, pipe)) out += buffer;
    pclose(pipe);
  }
  return out;
}

// Which spine leaf0 forwards each of its GPUs' flows to the GPU 8 ranks on (a KV pair of
// jobs/host-leaf-pd-kv.json) takes: "spine0 spine1 …".
std::string kv_spines(const LiveCluster& c) {
  std::string out;
  for (int g = 0; g < 4; ++g) {
    const auto route = shell_output("ip netns exec " + c.node("leaf0").netns + " ip route get " +
                                    c.address("gpu" + std::to_string(g + 8), "nic0") + " from " +
                                    c.address("gpu" + std::to_string(g), "nic0") + " iif br0");
    std::smatch m;
    out += std::regex_search(route, m, std::regex("dev (spine\\d+)")) ? m[1].str() + " " : "? ";
  }
  return out;
}
}  // namespace

TEST(Reachability, EcmpSeedMakesEveryBringUpHashTheSameWay) {
  SCALELAB_REQUIRE_ROOT();
  if (access("/proc/sys/net/ipv4/fib_multipath_hash_seed", F_OK) != 0)
    GTEST_SKIP() << "this kernel has no net.ipv4.fib_multipath_hash_seed (Linux < 6.11)";
  auto topology = fixtures::shipped_topology("host-leaf-oversub.json");
  ASSERT_NE(topology.ecmp_seed, 0u);
  LiveCluster first(topology), second(topology);
  for (const char* node : {"gpu0", "leaf0", "spine1"})
    EXPECT_EQ(shell_output("ip netns exec " + first.node(node).netns + " cat /proc/sys/net/ipv4/fib_multipath_hash_seed"),
              std::to_string(topology.ecmp_seed) + "\n")
        << node;
  const auto spines = kv_spines(first);
  EXPECT_EQ(spines.find('?'), std::string::npos) << spines;
  EXPECT_EQ(kv_spines(second), spines) << "two clusters with the same ecmp_seed must put each flow on the same spine";
}
