// `scalelab model` output: the table and the JSON.
#include "emulator/costmodel/report.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel {
namespace {

plan::Plan tiny_plan() {
  return plan::build_plan(model::parse_topology(R"({ "name": "tiny", "dilation": 1000,
    "cluster": { "hosts": 2, "gpus_per_host": 2,
      "scale_up":  { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 },
      "scale_out": { "nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 2, "spines": 1, "mtu": 4200 } } })",
                                                "tiny.json"));
}

std::vector<std::string> data_rows(const std::string& text) {
  std::vector<std::string> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') rows.push_back(line);
  return rows;
}

TEST(Report, TableHasOneRowPerSizeAndNamesTheBottleneck) {
  const auto plan = tiny_plan();
  const CostModel model(plan);
  const Report r = make_report(plan, model, Collective::all_reduce, Algorithm::automatic, size_sweep(1 << 20, 256 << 20, 4));
  const std::string text = report_text(r, false);
  EXPECT_NE(text.find("# scalelab model: all_reduce on tiny (4 ranks), algorithm hier (auto)"), std::string::npos) << text;
  EXPECT_NE(text.find("real cluster"), std::string::npos);
  EXPECT_NE(text.find("emulated (×1000)"), std::string::npos);
  EXPECT_NE(text.find("via spine"), std::string::npos);
  EXPECT_NE(text.find("# Avg bus bandwidth"), std::string::npos);
  EXPECT_NE(text.find("rail all-reduce: bandwidth-bound, gpu0→leaf0 nic"), std::string::npos) << text;
  const auto rows = data_rows(text);
  ASSERT_EQ(rows.size(), 5u);
  std::istringstream first(rows[0]);
  std::uint64_t bytes = 0, count = 0;
  first >> bytes >> count;
  EXPECT_EQ(bytes, 1u << 20);
  EXPECT_EQ(count, 1u << 18);
}

TEST(Report, EmulatedOnlyLooksLikeABenchTable) {
  const auto plan = tiny_plan();
  const CostModel model(plan);
  const Report r = make_report(plan, model, Collective::all_gather, Algorithm::automatic, {1 << 30});
  const auto rows = data_rows(report_text(r, true));
  ASSERT_EQ(rows.size(), 1u);
  std::istringstream row(rows[0]);
  std::uint64_t bytes = 0, count = 0;
  double time = 0, algbw = 0, busbw = 0;
  row >> bytes >> count >> time >> algbw >> busbw;
  EXPECT_EQ(bytes, 1u << 30);
  EXPECT_EQ(count, (1u << 28) / 4);
  EXPECT_NEAR(busbw, 0.05, 1e-4);  // a 400Gb/s NIC ÷ 1000
  EXPECT_NEAR(time, r.emulated[0].time_us, 1.0);
}

TEST(Report, Json) {
  const auto plan = tiny_plan();
  const CostModel model(plan);
  const Report r = make_report(plan, model, Collective::all_reduce, Algorithm::ring, {4096, 1 << 20});
  const auto j = report_json(r);
  EXPECT_EQ(j["cluster"], "tiny");
  EXPECT_EQ(j["algorithm"], "ring");
  EXPECT_EQ(j["requested_algorithm"], "ring");
  EXPECT_EQ(j["nranks"], 4);
  EXPECT_EQ(j["options"]["transport"], "ideal");
  ASSERT_EQ(j["rows"].size(), 2u);
  const auto& row = j["rows"][1];
  EXPECT_EQ(row["bytes"], 1u << 20);
  EXPECT_NEAR(row["emulated"]["time_us"].get<double>(), row["real"]["time_us"].get<double>() * 1000, 1e-3);
  ASSERT_EQ(row["real"]["stages"].size(), 1u);
  EXPECT_EQ(row["real"]["stages"][0]["name"], "ring all-reduce");
  EXPECT_EQ(row["real"]["stages"][0]["steps"], 6);
  EXPECT_EQ(row["real"]["stages"][0]["bottleneck"]["tier"], "scale_out");
  EXPECT_EQ(j["paths"].size(), 3u);
}

}  // namespace
}  // namespace scalelab::costmodel
