// The writer of cluster.tsv: one line per record, in the order and with the fields the agents'
// reader (agents/collectives/cluster_table.h) expects; the round trip is in tests/agents.
#include "emulator/plan/cluster_table.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"
#include "emulator/plan/plan_json.h"

using namespace scalelab;

TEST(ClusterTable, OneLinePerRankAfterTheHeaderAndTiers) {
  auto topology = model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json");
  auto file = plan::cluster_file_json(plan::build_plan(topology));
  const std::string text = plan::cluster_table_text(file);
  EXPECT_EQ(text.rfind("# scalelab cluster table v1:", 0), 0u) << text;
  EXPECT_NE(text.find("\nname\ttiny\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nworld_size\t4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbase_port\t29500\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\ntier\tscale_out\t"), std::string::npos) << text;
  const auto& r1 = file["ranks"][1];
  const std::string line = fmt::format("\nrank\t1\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", r1["node"].get<std::string>(),
                                       r1["host"].get<int>(), r1["local_rank"].get<int>(), r1["domain"].get<int>(),
                                       r1["netns"].get<std::string>(), r1["scale_up"]["ifname"].get<std::string>(),
                                       r1["scale_up"]["address"].get<std::string>(), r1["scale_out"]["ifname"].get<std::string>(),
                                       r1["scale_out"]["address"].get<std::string>(), r1["scale_out"]["leaf"].get<std::string>());
  EXPECT_NE(text.find(line), std::string::npos) << "expected" << line << "in\n" << text;
  int ranks = 0;
  for (std::size_t at = 0; (at = text.find("\nrank\t", at)) != std::string::npos; ++at) ++ranks;
  EXPECT_EQ(ranks, 4);
}

TEST(ClusterTable, AnEndpointThatIsNullLeavesItsFieldsEmpty) {
  auto file = nlohmann::json::parse(R"({"name": "solo", "dilation": 1, "base_port": 20000, "ranks": [
    {"rank": 0, "node": "g0", "host": 0, "local_rank": 0, "domain": -1, "netns": "", "scale_up": null,
     "scale_out": {"ifname": "nic0", "address": "198.19.0.2", "leaf": "leaf0"}}]})");
  EXPECT_NE(plan::cluster_table_text(file).find("\nrank\t0\tg0\t0\t0\t-1\t\t\t\tnic0\t198.19.0.2\tleaf0\n"), std::string::npos)
      << plan::cluster_table_text(file);
}

TEST(ClusterTable, AValueWithATabIsRefusedNotWrittenAsTwoFields) {
  auto file = nlohmann::json::parse(R"({"name": "bad\tname", "ranks": []})");
  EXPECT_THROW(plan::cluster_table_text(file), std::invalid_argument);
  file = nlohmann::json::parse(R"({"name": "ok", "ranks": [{"rank": 0, "node": "g\n0"}]})");
  EXPECT_THROW(plan::cluster_table_text(file), std::invalid_argument);
}
