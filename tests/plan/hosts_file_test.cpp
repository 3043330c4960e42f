// The cluster's /etc/hosts view: each GPU's hostname → the address that reaches it across the
// fabric (the rail NIC; the scale-up link only for a rank without one).
#include "emulator/plan/hosts_file.h"

#include <gtest/gtest.h>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/plan_json.h"

using namespace scalelab;

TEST(HostsFile, EveryGpuResolvesToItsRailAddress) {
  auto topology = model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json");
  auto cluster_file = plan::cluster_file_json(plan::build_plan(topology));
  const std::string text = plan::hosts_file_text(cluster_file);
  EXPECT_NE(text.find("\n127.0.0.1\tlocalhost\n"), std::string::npos) << text;
  int lines = 0;
  for (const auto& rank : cluster_file["ranks"]) {
    const std::string node = rank["node"], address = rank["scale_out"]["address"];
    const std::string line = address + "\t" + node + ".tiny " + node + "\n";
    EXPECT_NE(text.find("\n" + line), std::string::npos) << "missing " << line << " in\n" << text;
    EXPECT_EQ(rank["scale_out"]["ifname"], "nic0");
    lines++;
  }
  EXPECT_EQ(lines, 4);
  // Only GPUs are named: switches and spines run no workload.
  EXPECT_EQ(text.find("leaf0"), std::string::npos) << text;
  EXPECT_EQ(text.find("spine0"), std::string::npos) << text;
}

TEST(HostsFile, ARankWithoutARailNicIsReachedOverScaleUp) {
  auto cluster_file = nlohmann::json::parse(R"({"name": "one", "ranks": [
    {"node": "gpu0", "scale_up": {"ifname": "nvl0", "address": "198.18.0.1"}, "scale_out": null},
    {"node": "gpu1", "scale_up": null, "scale_out": null}]})");
  auto nic = plan::reachable_interface(cluster_file["ranks"][0]);
  ASSERT_TRUE(nic);
  EXPECT_EQ(nic->ifname, "nvl0");
  EXPECT_EQ(nic->address, "198.18.0.1");
  EXPECT_FALSE(plan::reachable_interface(cluster_file["ranks"][1]));
  const std::string text = plan::hosts_file_text(cluster_file);
  EXPECT_NE(text.find("\n198.18.0.1\tgpu0.one gpu0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("gpu1"), std::string::npos) << "a rank with no address gets no line: " << text;
}
