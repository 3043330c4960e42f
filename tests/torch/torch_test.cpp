// PyTorch, which nobody here wrote, on the emulated fabric: Debian's torch 1.13 with gloo,
// started by `scalelab run` with no extra flag (the environment and the nodes' identity are
// all it gets). Each rank imports torch (seconds on two cores), so every test keeps its run
// short and bounded by --timeout.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cluster_fixture.h"
#include "torch_support.h"

using namespace scalelab;
namespace fs = std::filesystem;
using torch_tests::example;
using torch_tests::kPython;

namespace {

struct BenchRow {
  std::uint64_t bytes = 0;
  double algbw = 0, busbw = 0;
  long wrong = -1;
};

// Rank 0's nccl-tests-style rows: size count type redop time algbw busbw #wrong.
std::vector<BenchRow> bench_rows(const std::string& output, const std::string& prefix) {
  std::vector<BenchRow> rows;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) != 0) continue;
    std::istringstream fields(line.substr(prefix.size()));
    BenchRow row;
    std::string type, redop;
    double count, time_us;
    if (fields >> row.bytes >> count >> type >> redop >> time_us >> row.algbw >> row.busbw >> row.wrong && redop == "sum") rows.push_back(row);
  }
  return rows;
}

double link_rate_GBps(const fixtures::LiveCluster& cluster) { return cluster.plan().scale_out.emulated_bandwidth_bps / 8e9; }

}  // namespace

TEST(Torch, DdpTrainsOnEveryRankAndEndsWithIdenticalParameters) {
  SCALELAB_REQUIRE_ROOT();
  SCALELAB_REQUIRE_TORCH();
  fixtures::LiveCluster cluster(torch_tests::tiny());
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--timeout", "90", "--", kPython, example("ddp.py"), "--steps", "3", "--timeout", "30"});
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("[rank 0 gpu0] step 2 loss "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("[rank 0 gpu0] parameters identical on 4 of 4 ranks"), std::string::npos) << r.output;
  for (int rank = 0; rank < 4; ++rank) {
    const std::string node = "gpu" + std::to_string(rank);
    EXPECT_NE(r.output.find("# rank " + std::to_string(rank) + " on " + node + " (" + cluster.address(node, "nic0") + ")"), std::string::npos)
        << r.output;
  }
}

TEST(Torch, GlooAllReduceCrossesTheShapedFabricAndIsCorrect) {
  SCALELAB_REQUIRE_ROOT();
  SCALELAB_REQUIRE_TORCH();
  fixtures::LiveCluster cluster(torch_tests::tiny());
  auto r = fixtures::run_scalelab({"run", cluster.name(), "--timeout", "90", "--", kPython, example("allreduce_bench.py"), "-b", "16M", "-e", "16M",
                                   "-n", "3", "-w", "1", "--timeout", "30"});
  ASSERT_EQ(r.status, 0) << r.output;
  auto rows = bench_rows(r.output, "[rank 0 gpu0] ");
  ASSERT_EQ(rows.size(), 1u) << r.output;
  const double link = link_rate_GBps(cluster);  // 400 Gb/s ÷ 1000 = 0.05 GB/s
  EXPECT_EQ(rows[0].bytes, 16u << 20);
  EXPECT_EQ(rows[0].wrong, 0) << r.output;
  // busbw cannot beat the shaped rail (a few % of slack for htb's burst); and it reaches a large
  // share of it, so the traffic really crossed the fabric (unshaped loopback would be ~100× more).
  EXPECT_LE(rows[0].busbw, link * 1.05) << "busbw above the link rate " << link << " GB/s:\n" << r.output;
  EXPECT_GE(rows[0].busbw, link * 0.6) << "busbw far below the link rate " << link << " GB/s:\n" << r.output;
  std::printf("torch gloo all_reduce 16 MiB: busbw %.4f GB/s = %.0f%% of the %.4f GB/s rail\n", rows[0].busbw, 100 * rows[0].busbw / link, link);
}

TEST(Torch, ALinkDownMidRunEndsEveryRankAndTheDrillNamesTheLink) {
  SCALELAB_REQUIRE_ROOT();
  SCALELAB_REQUIRE_TORCH();
  // A drill with the torch bench as its command workload: looping all_reduce, gloo timeout 4 s;
  // gpu0's rail link goes down at 12 s (after every rank imported torch and ran iterations).
  const std::string name = fixtures::unique_cluster_name("tqdrill");
  const fs::path dir = fs::temp_directory_path() / name;
  fs::create_directories(dir);
  auto topology = nlohmann::json::parse(std::ifstream(std::string(SCALELAB_SOURCE_DIR) + "/topologies/tiny.json"), nullptr, true, true);
  topology["name"] = name;
  const double fault_at = 12, gloo_timeout = 4, within = 10;
  nlohmann::json scenario = {
      {"name", name},
      {"topology", topology},
      {"workload", {{"command", {kPython, example("allreduce_bench.py"), "-b", "4M", "-e", "4M", "-n", "2", "-w", "0", "--timeout",
                                 std::to_string(gloo_timeout), "--duration", "60"}},
                    {"duration", "30s"}}},
      {"steps", {{{"at", "12s"}, {"action", "link_down"}, {"target", "link:gpu0-leaf0"}}}},
      {"expect", {{{"error_detected", {{"after_step", 0}, {"by", "all"}, {"within", "10s"}}}}, {{"no_hang", nlohmann::json::object()}}}}};
  std::ofstream(dir / "drill.json") << scenario.dump(2);

  auto started = std::chrono::steady_clock::now();
  auto r = fixtures::run_scalelab({"run-scenario", (dir / "drill.json").string(), "--report", (dir / "report").string()});
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("while link_down gpu0-leaf0"), std::string::npos) << "the verdict must name the link:\n" << r.output;
  EXPECT_LT(took, fault_at + within + 15) << r.output;

  // Iterations ran before the fault (it hit a running job, not its start-up) …
  std::ifstream agents(dir / "report" / "agents.log");
  int rows_before_fault = 0;
  for (std::string line; std::getline(agents, line);) {
    double t = 0;
    std::istringstream in(line);
    if (in >> t && t < fault_at && line.find(" sum ") != std::string::npos) rows_before_fault++;
  }
  EXPECT_GT(rows_before_fault, 0) << "no all_reduce finished before the fault: start-up took longer than " << fault_at << " s";
  // … and every rank then failed on its own, non-zero, within the bound, with the link named.
  std::ifstream events(dir / "report" / "events.jsonl");
  int failed = 0;
  for (std::string line; std::getline(events, line);) {
    auto e = nlohmann::json::parse(line);
    if (e.value("type", "") != "rank_exit") continue;
    EXPECT_NE(e.value("status", 0), 0) << line;
    EXPECT_FALSE(e.value("killed_by_scalelab", true)) << line;
    EXPECT_LE(e.value("t", 0.0), fault_at + within) << line;
    EXPECT_EQ(e.value("faults_in_force", nlohmann::json::array()), nlohmann::json::array({"link_down gpu0-leaf0"})) << line;
    failed++;
  }
  EXPECT_EQ(failed, 4);
  if (!HasFailure()) fs::remove_all(dir);
}
