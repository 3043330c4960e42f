// Every process scalelab starts in a GPU's namespace has that node's identity, as a container
// has: its own hostname, and an /etc/hosts where every GPU's hostname resolves to the address
// that reaches it across the fabric (the rail NIC). Frameworks that rendezvous by hostname
// (gloo, NCCL, Open MPI) otherwise resolve the host's shared name to 127.0.0.1.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster_fixture.h"
#include "emulator/plan/cluster_table.h"
#include "emulator/runtime/cluster_dir.h"
#include "torch_support.h"

using namespace scalelab;

namespace {
std::string host_hostname() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}
std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(NodeIdentity, EveryRankHasItsOwnHostnameAndResolvesEveryGpuOverTheFabric) {
  SCALELAB_REQUIRE_ROOT();
  const std::string before_hostname = host_hostname(), before_hosts = read_file("/etc/hosts");
  fixtures::LiveCluster cluster(torch_tests::tiny());
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--", "sh", "-c",
                                   "echo \"me $(hostname) $(getent hosts $(hostname) | awk '{print $1}')\"; "
                                   "for n in gpu0 gpu1 gpu2 gpu3 gpu3." + cluster.name() + "; do echo \"sees $n $(getent hosts $n | awk '{print $1}')\"; done; "
                                   "echo \"env $GLOO_SOCKET_IFNAME $NCCL_SOCKET_IFNAME $MASTER_ADDR\"; "
                                   "echo \"table $(head -1 \"$SCALELAB_CLUSTER_TABLE\" | cut -c1-27)\""});
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string master = cluster.address("gpu0", "nic0");
  for (int rank = 0; rank < 4; ++rank) {
    const std::string node = "gpu" + std::to_string(rank), prefix = "[rank " + std::to_string(rank) + " " + node + "] ";
    EXPECT_NE(r.output.find(prefix + "me " + node + " " + cluster.address(node, "nic0") + "\n"), std::string::npos)
        << node << " must be its own hostname, resolving to its nic0 address:\n" << r.output;
    for (int peer = 0; peer < 4; ++peer) {
      const std::string peer_node = "gpu" + std::to_string(peer);
      EXPECT_NE(r.output.find(prefix + "sees " + peer_node + " " + cluster.address(peer_node, "nic0") + "\n"), std::string::npos)
          << node << " must resolve " << peer_node << ":\n" << r.output;
    }
    EXPECT_NE(r.output.find(prefix + "sees gpu3." + cluster.name() + " " + cluster.address("gpu3", "nic0") + "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(prefix + "env nic0 nic0 " + master + "\n"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(prefix + "table # scalelab cluster table v1\n"), std::string::npos)
        << "the agents' fast cluster file must be named to every rank:\n" << r.output;
  }
  // Private to the ranks: the host keeps its own name and hosts file.
  EXPECT_EQ(host_hostname(), before_hostname);
  EXPECT_EQ(read_file("/etc/hosts"), before_hosts);
}

TEST(NodeIdentity, ExecGetsTheNodesIdentityAndTheHostsFileGoesWithTheCluster) {
  SCALELAB_REQUIRE_ROOT();
  std::string hosts_file, table_file;
  {
    fixtures::LiveCluster cluster(torch_tests::tiny());
    hosts_file = runtime::ClusterDir::open(cluster.name())->path(runtime::kHostsFile);
    ASSERT_TRUE(std::filesystem::exists(hosts_file));
    table_file = runtime::ClusterDir::open(cluster.name())->path(plan::kClusterTableFile);
    ASSERT_TRUE(std::filesystem::exists(table_file));
    auto r = fixtures::run_scalelab({"exec", cluster.name() + "/gpu2", "--", "sh", "-c", "echo $(hostname) $(getent hosts gpu1 | awk '{print $1}')"});
    ASSERT_EQ(r.status, 0) << r.output;
    EXPECT_EQ(r.output, "gpu2 " + cluster.address("gpu1", "nic0") + "\n");
  }
  EXPECT_FALSE(std::filesystem::exists(hosts_file)) << "down must remove " << hosts_file;
  EXPECT_FALSE(std::filesystem::exists(table_file)) << "down must remove " << table_file;
}
