// The model on every shipped topology: predictions are finite and positive, and each of the
// topologies made to show something (nvl72, rail-oversub, host-leaf) shows it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "emulator/costmodel/costmodel.h"
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel {
namespace {

std::string topology_path(const std::string& file) { return std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file; }

plan::Plan shipped(const std::string& file) { return plan::build_plan(model::load_topology(topology_path(file))); }

// The shipped file with one text substitution (to vary a single parameter).
plan::Plan shipped_with(const std::string& file, const std::string& from, const std::string& to) {
  std::ifstream in(topology_path(file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const auto at = text.find(from);
  if (at == std::string::npos) throw std::runtime_error(file + " does not contain " + from);
  text.replace(at, from.size(), to);
  return plan::build_plan(model::parse_topology(text, file));
}

const Collective kAll[] = {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                           Collective::broadcast,  Collective::alltoall,   Collective::sendrecv};

TEST(ShippedTopologies, PredictionsAreFiniteAndPositive) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(topology_path(""))) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    const auto plan = plan::build_plan(model::load_topology(entry.path().string()));
    const CostModel model(plan);
    for (Collective c : kAll)
      for (Algorithm a : {Algorithm::automatic, Algorithm::ring}) {
        for (bool emulated : {false, true}) {
          SCOPED_TRACE(entry.path().filename().string() + " " + std::string(to_string(c)) + " " +
                       std::string(to_string(a)) + (emulated ? " emulated" : " real"));
          for (const Prediction& p : model.sweep(c, a, 64 * 1024, 1ull << 30, 64, emulated)) {
            EXPECT_TRUE(std::isfinite(p.time_us));
            EXPECT_GT(p.time_us, 0.0);
            EXPECT_TRUE(std::isfinite(p.busbw_GBps));
            EXPECT_GT(p.busbw_GBps, 0.0);
            EXPECT_GE(p.bottleneck_stage, 0);
            for (const Stage& s : p.stages) {
              EXPECT_GT(s.rate_GBps, 0.0);
              EXPECT_FALSE(s.bottleneck.from.empty());
            }
          }
        }
      }
  }
  EXPECT_GE(files, 8u);
}

TEST(ShippedTopologies, H100x2) {
  const auto plan = shipped("h100x2.json");
  const CostModel model(plan);
  EXPECT_EQ(model.resolve(Collective::all_reduce, Algorithm::automatic), Algorithm::hier);
  // Ring in rank order: gpu7→gpu8 and gpu15→gpu0 cross rails (leaf7 → spine → leaf0); the 2
  // spines give leaf7 2 × 400Gb/s up, so the NICs pace the ring: busbw = 50GB/s.
  const Prediction ring = model.predict(Collective::all_reduce, Algorithm::ring, 1ull << 30, false);
  EXPECT_NEAR(ring.busbw_GBps, 50.0, 1e-6);
  EXPECT_EQ(ring.stages[0].bottleneck.role, "nic");
  EXPECT_EQ(ring.stages[0].max_hops, 4);
  // Hier: rail stage at 50GB/s per message over S/16 × 2 steps; domain stages at 450GB/s
  // (NVLink 4: 900 GB/s both directions together).
  const Prediction hier = model.predict(Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  EXPECT_GT(hier.busbw_GBps, 5 * ring.busbw_GBps);
  EXPECT_EQ(hier.stages[1].name, "rail all-reduce");
  EXPECT_EQ(hier.bottleneck_stage, 1);
  EXPECT_EQ(hier.stages[1].max_hops, 2);
}

TEST(ShippedTopologies, Nvl72) {
  const auto plan = shipped("nvl72.json");
  EXPECT_EQ(plan.gpu_count(), 144u);
  // The dilation keeps every shaped link at or below 10Gb/s emulated.
  std::uint64_t fastest = 0;
  for (const auto& ns : plan.namespaces)
    for (const auto& i : ns.interfaces) fastest = std::max(fastest, i.egress.rate_bps);
  EXPECT_LE(fastest, 10'000'000'000u);
  EXPECT_GE(fastest, 1'000'000'000u);
  const CostModel model(plan);
  const auto& paths = model.paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths[0].kind, "same domain");
  // Two domains of 72: hier applies.
  EXPECT_EQ(model.resolve(Collective::all_reduce, Algorithm::automatic), Algorithm::hier);
  const Prediction ring = model.predict(Collective::all_reduce, Algorithm::ring, 1ull << 30, false);
  const Prediction hier = model.predict(Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  // The ring is paced by the two NIC hops between the racks.
  EXPECT_EQ(ring.stages[0].bottleneck.role, "nic");
  EXPECT_NEAR(ring.busbw_GBps, 50.0, 1e-4);  // 1GiB is not a multiple of 144 × 4 bytes
  // Hier: 72 two-rank all-reduces between the racks stay on their rail (2 hops); NVLink dominates.
  ASSERT_EQ(hier.stages.size(), 3u);
  EXPECT_EQ(hier.stages[0].bottleneck.tier, model::Tier::scale_up);
  EXPECT_EQ(hier.stages[1].groups, 72);
  EXPECT_EQ(hier.stages[1].group_size, 2);
  EXPECT_EQ(hier.stages[1].max_hops, 2);
  EXPECT_GT(hier.busbw_GBps, 10 * ring.busbw_GBps);
}

TEST(ShippedTopologies, RailOversubHalvesCrossRailBusbw) {
  const auto oversub = shipped("rail-oversub.json");
  const auto full = shipped_with("rail-oversub.json", "\"oversubscription\": 2", "\"oversubscription\": 1");
  const Prediction thin = predict(oversub, Collective::all_reduce, Algorithm::ring, 1ull << 30, false);
  const Prediction fat = predict(full, Collective::all_reduce, Algorithm::ring, 1ull << 30, false);
  // 4 ring edges (gpu7→gpu8 … gpu31→gpu0) leave leaf7 for leaf0: 4 × 400Gb/s into 2 × 400Gb/s.
  EXPECT_NEAR(thin.busbw_GBps, 25.0, 1e-6);
  EXPECT_NEAR(fat.busbw_GBps, 50.0, 1e-6);
  EXPECT_NEAR(thin.busbw_GBps / fat.busbw_GBps, 0.5, 1e-9);
  EXPECT_EQ(thin.stages[0].bottleneck.role, "uplink");
  EXPECT_EQ(thin.stages[0].bottleneck.from, "leaf7");
  EXPECT_EQ(thin.stages[0].bottleneck.messages, 4);
  EXPECT_EQ(fat.stages[0].bottleneck.role, "nic");
  // Hier keeps the cross-host stage on its rail: oversubscription does not matter.
  const Prediction hier_thin = predict(oversub, Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  const Prediction hier_fat = predict(full, Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  EXPECT_NEAR(hier_thin.time_us, hier_fat.time_us, 1e-9);
  // alltoall sends most of its data across rails: slower on the thin spine layer.
  const Prediction a2a_thin = predict(oversub, Collective::alltoall, Algorithm::automatic, 1ull << 30, false);
  const Prediction a2a_fat = predict(full, Collective::alltoall, Algorithm::automatic, 1ull << 30, false);
  EXPECT_LT(a2a_thin.busbw_GBps, 0.75 * a2a_fat.busbw_GBps);
}

TEST(ShippedTopologies, HostLeafCrossesSpinesEverywhere) {
  const auto plan = shipped("host-leaf.json");
  const CostModel model(plan);
  // Between hosts every path is gpu→leaf<host>→spine→leaf<other>→gpu, even on the same local rank.
  const auto paths = model.paths();
  ASSERT_EQ(paths.size(), 2u);
  EXPECT_EQ(paths[1].kind, "via spine");
  EXPECT_EQ(paths[1].example_to, "gpu4");
  const Prediction hier = model.predict(Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  EXPECT_EQ(hier.stages[1].max_hops, 4);
  // 4 rails leave each leaf over 2 × 800Gb/s: spread evenly, the NICs still pace it.
  EXPECT_NEAR(hier.stages[1].rate_GBps, 50.0, 1e-9);
  // If hashing puts them all on one spine, 4 messages share 800Gb/s.
  Options collide;
  collide.ecmp = Ecmp::collide;
  const Prediction worst = CostModel(plan, collide).predict(Collective::all_reduce, Algorithm::hier, 1ull << 30, false);
  EXPECT_NEAR(worst.stages[1].rate_GBps, 25.0, 1e-9);
  EXPECT_EQ(worst.stages[1].bottleneck.role, "uplink");
  EXPECT_EQ(worst.stages[1].bottleneck.messages, 4);
  // Compared with the same cluster rail-optimized, hier's cross-host stage pays 2 more hops.
  const auto rails = shipped_with("host-leaf.json", "\"rail_optimized\": false,", "\"rail_optimized\": true, \"rails\": 4,");
  const Prediction rail_hier = predict(rails, Collective::all_reduce, Algorithm::hier, 4096, false);
  const Prediction leaf_hier = model.predict(Collective::all_reduce, Algorithm::hier, 4096, false);
  EXPECT_NEAR(leaf_hier.stages[1].latency_us, 2 * rail_hier.stages[1].latency_us, 1e-9);
  EXPECT_GT(leaf_hier.time_us, rail_hier.time_us);
}

}  // namespace
}  // namespace scalelab::costmodel
