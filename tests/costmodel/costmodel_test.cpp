// Hand-computed cases of the alpha-beta model (docs/model.md has the formulas). Rates in the
// comments: 400Gb/s = 50e9 B/s, 900GB/s = 900e9 B/s, 100Gb/s = 12.5e9 B/s; times in µs.
#include "emulator/costmodel/costmodel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::costmodel {
namespace {

plan::Plan plan_of(const std::string& text, double dilation = 0) {
  return plan::build_plan(model::parse_topology(text, "<inline>"), dilation);
}

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kUs = 1e6;  // s → µs
constexpr double kNvlink = 900e9, kNic = 50e9;

// Two GPUs, one 100Gb/s link between them, 5us each way.
const char* const kPair = R"({
  "name": "pair", "dilation": 10,
  "nodes": [ {"name": "gpu0", "kind": "gpu"}, {"name": "gpu1", "kind": "gpu"} ],
  "links": [ {"a": "gpu0", "b": "gpu1", "tier": "scale_out", "bandwidth": "100Gb/s", "latency": "5us", "mtu": 9000} ] })";
constexpr double kPairRate = 12.5e9, kPairAlpha = 5.0;

// tiny.json: 2 hosts × 2 GPUs, nvsw per host, rails 2, one spine.
std::string tiny(const std::string& oversubscription = "1", const std::string& spines = "1") {
  return R"({ "name": "tiny", "dilation": 1000,
    "cluster": { "hosts": 2, "gpus_per_host": 2,
      "scale_up":  { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 },
      "scale_out": { "nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 2, "spines": )" +
         spines + R"(, "oversubscription": )" + oversubscription + R"(, "mtu": 4200 } } })";
}

// One server, 8 GPUs on one NVLink switch, nothing else: every ring edge is gpu→nvsw→gpu.
const char* const kOneSwitch = R"({ "name": "box", "dilation": 100,
  "cluster": { "hosts": 1, "gpus_per_host": 8,
    "scale_up": { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 } } })";

// ---- 2 ranks over one link: the textbook Hockney cases

TEST(TwoRanks, AllReduceIsTwoStepsOfHalfTheBuffer) {
  const auto plan = plan_of(kPair);
  // count = 16Mi floats; each of the 2 steps (reduce-scatter, all-gather) sends half: 32MiB.
  // Pipelining cannot hide the latency of a single step: T = 2 (alpha + (S/2)/B).
  const double m = 32 * kMiB;
  const double expected = 2 * (kPairAlpha + m / kPairRate * kUs);
  const Prediction p = predict(plan, Collective::all_reduce, Algorithm::automatic, 64 * 1024 * 1024, false);
  EXPECT_EQ(p.algorithm, "ring");
  EXPECT_EQ(p.nranks, 2);
  EXPECT_NEAR(p.time_us, expected, 1e-6);
  ASSERT_EQ(p.stages.size(), 1u);
  EXPECT_EQ(p.stages[0].name, "ring all-reduce");
  EXPECT_EQ(p.stages[0].steps, 2);
  EXPECT_EQ(p.stages[0].bytes_per_step, 32u * 1024 * 1024);
  EXPECT_EQ(p.stages[0].max_hops, 1);
  EXPECT_EQ(p.stages[0].bottleneck.role, "direct");
  const double algbw = 64 * kMiB / (expected / kUs) / 1e9;
  EXPECT_NEAR(p.algbw_GBps, algbw, 1e-9);
  EXPECT_NEAR(p.busbw_GBps, algbw * 2.0 * 1 / 2, 1e-9);  // factor 2(n-1)/n = 1

  // Without pipelining (chunk 0) the formula is the same for one step.
  Options unchunked;
  unchunked.chunk_bytes = 0;
  EXPECT_NEAR(predict(plan, Collective::all_reduce, Algorithm::ring, 64 * 1024 * 1024, false, unchunked).time_us,
              expected, 1e-6);

  // 4KiB: 1024 floats, 2048 B per step.
  EXPECT_NEAR(predict(plan, Collective::all_reduce, Algorithm::ring, 4096, false).time_us,
              2 * (kPairAlpha + 2048 / kPairRate * kUs), 1e-9);
}

TEST(TwoRanks, OtherCollectives) {
  const auto plan = plan_of(kPair);
  const CostModel model(plan);
  // sendrecv: one message of S each way at once.
  const Prediction sr = model.predict(Collective::sendrecv, Algorithm::automatic, 1 << 20, false);
  const double t_sr = kPairAlpha + kMiB / kPairRate * kUs;
  EXPECT_NEAR(sr.time_us, t_sr, 1e-9);
  EXPECT_NEAR(sr.busbw_GBps, kMiB / (t_sr / kUs) / 1e9, 1e-9);
  // alltoall: one pairwise step of S/2.
  const Prediction a2a = model.predict(Collective::alltoall, Algorithm::automatic, 1 << 20, false);
  const double t_a2a = kPairAlpha + kMiB / 2 / kPairRate * kUs;
  EXPECT_NEAR(a2a.time_us, t_a2a, 1e-9);
  EXPECT_NEAR(a2a.busbw_GBps, kMiB / (t_a2a / kUs) / 1e9 * 0.5, 1e-9);
  // broadcast of 4MiB in 1MiB chunks over one edge: the first chunk pays alpha, the others stream.
  const Prediction bc = model.predict(Collective::broadcast, Algorithm::automatic, 4 << 20, false);
  EXPECT_EQ(bc.algorithm, "chain");
  EXPECT_NEAR(bc.time_us, kPairAlpha + 4 * kMiB / kPairRate * kUs, 1e-9);
  // all_gather / reduce_scatter: one step of S/2.
  for (Collective c : {Collective::all_gather, Collective::reduce_scatter}) {
    const Prediction p = model.predict(c, Algorithm::automatic, 1 << 20, false);
    EXPECT_NEAR(p.time_us, kPairAlpha + kMiB / 2 / kPairRate * kUs, 1e-9) << to_string(c);
  }
}

TEST(TwoRanks, NothingToSend) {
  const auto plan = plan_of(kPair);
  const Prediction p = predict(plan, Collective::all_reduce, Algorithm::ring, 0, false);
  EXPECT_EQ(p.time_us, 0.0);
  EXPECT_EQ(p.busbw_GBps, 0.0);
  // all_gather of 4 bytes on 2 ranks: 0 elements per rank, as nccl-tests rounds.
  const Prediction g = predict(plan, Collective::all_gather, Algorithm::ring, 4, false);
  EXPECT_EQ(g.count, 0u);
  EXPECT_EQ(g.time_us, 0.0);
}

// ---- tiny.json: 4 ranks

TEST(Tiny, RingAllReduce) {
  const auto plan = plan_of(tiny());
  const CostModel model(plan);
  // Ring 0→1 (NVLink: 2 hops, 2us), 1→2 (cross-rail: gpu1→leaf1→spine0→leaf0→gpu2, 4 hops, 8us),
  // 2→3 (NVLink), 3→0 (cross-rail). leaf1→spine0 carries 1→2 and 3→0 but has 2 × 400Gb/s.
  // Reduce-scatter then all-gather: 2 phases of 3 steps of S/4 each.
  {  // 256MiB: bandwidth-bound, paced by the NICs: T = 2 × 3 × 64MiB / 50e9.
    const Prediction p = model.predict(Collective::all_reduce, Algorithm::ring, 256 << 20, false);
    EXPECT_EQ(p.algorithm, "ring");
    EXPECT_NEAR(p.time_us, 2 * 3 * 64 * kMiB / kNic * kUs, 1e-6);
    EXPECT_NEAR(p.busbw_GBps, 50.0, 1e-9);
    ASSERT_EQ(p.stages.size(), 1u);
    EXPECT_EQ(p.stages[0].steps, 6);
    EXPECT_FALSE(p.stages[0].latency_bound);
    EXPECT_EQ(p.stages[0].bottleneck.role, "nic");
    EXPECT_EQ(p.stages[0].bottleneck.tier, model::Tier::scale_out);
    EXPECT_EQ(p.stages[0].max_hops, 4);
    EXPECT_NEAR(p.stages[0].rate_GBps, 50.0, 1e-9);
  }
  {  // 4KiB: 1KiB per step; latency-bound. The first chunk of the last step has crossed 3
     // consecutive edges: at worst cross-rail, NVLink, cross-rail.
    const Prediction p = model.predict(Collective::all_reduce, Algorithm::ring, 4096, false);
    const double nv = 2 + 1024 / kNvlink * kUs, out = 8 + 1024 / kNic * kUs;
    EXPECT_NEAR(p.time_us, 2 * (2 * out + nv), 1e-9);
    EXPECT_TRUE(p.stages[0].latency_bound);
    EXPECT_NEAR(p.stages[0].latency_us, 2 * (8 + 2 + 8), 1e-9);
  }
}

TEST(Tiny, HierAllReduce) {
  const auto plan = plan_of(tiny());
  const CostModel model(plan);
  EXPECT_TRUE(model.hier_applicable());
  EXPECT_EQ(model.resolve(Collective::all_reduce, Algorithm::automatic), Algorithm::hier);
  {  // 256MiB = 64Mi floats.
    const Prediction p = model.predict(Collective::all_reduce, Algorithm::automatic, 256 << 20, false);
    EXPECT_EQ(p.algorithm, "hier");
    ASSERT_EQ(p.stages.size(), 3u);
    // 1. reduce-scatter in each host over NVLink: 1 step of 128MiB, alpha 2us (one step: not hidden).
    const double s1 = 2 + 128 * kMiB / kNvlink * kUs;
    // 2. all-reduce per rail between the hosts: gpu0↔gpu2 on leaf0, gpu1↔gpu3 on leaf1 (2 hops, 4us):
    //    a reduce-scatter then an all-gather of one step of 64MiB each at 50e9 B/s.
    const double s2 = 2 * (4 + 64 * kMiB / kNic * kUs);
    EXPECT_NEAR(p.stages[0].time_us, s1, 1e-6);
    EXPECT_NEAR(p.stages[1].time_us, s2, 1e-6);
    EXPECT_NEAR(p.stages[2].time_us, s1, 1e-6);
    EXPECT_NEAR(p.time_us, 2 * s1 + s2, 1e-6);
    EXPECT_EQ(p.stages[0].name, "domain reduce-scatter");
    EXPECT_EQ(p.stages[1].name, "rail all-reduce");
    EXPECT_EQ(p.stages[2].name, "domain all-gather");
    EXPECT_EQ(p.stages[1].groups, 2);
    EXPECT_EQ(p.stages[1].group_size, 2);
    EXPECT_EQ(p.stages[1].max_hops, 2);  // same rail: never through the spine
    EXPECT_EQ(p.bottleneck_stage, 1);
    EXPECT_EQ(p.stages[0].bottleneck.role, "nvlink");
    EXPECT_EQ(p.stages[0].bottleneck.tier, model::Tier::scale_up);
    const double algbw = 256 * kMiB / ((2 * s1 + s2) / kUs) / 1e9;
    EXPECT_NEAR(p.busbw_GBps, algbw * 1.5, 1e-9);
  }
  {  // 4KiB = 1024 floats: 2048 B in the domain, 1024 B per rail step.
    const Prediction p = model.predict(Collective::all_reduce, Algorithm::hier, 4096, false);
    const double s1 = 2 + 2048 / kNvlink * kUs;
    const double s2 = 2 * (4 + 1024 / kNic * kUs);
    EXPECT_NEAR(p.time_us, 2 * s1 + s2, 1e-9);
  }
}

TEST(Tiny, TreeAllReduceRunsEachRailAsATree) {
  const auto plan = plan_of(tiny());
  const CostModel model(plan);
  EXPECT_EQ(model.resolve(Collective::all_reduce, Algorithm::tree), Algorithm::tree);
  // 4KiB = 1024 floats: 2048 B per rank after the domain's reduce-scatter. Each rail is a tree of
  // two (gpu2 under gpu0): the slice goes up one edge (2 hops, 4us) and the total comes back down.
  const Prediction p = model.predict(Collective::all_reduce, Algorithm::tree, 4096, false);
  EXPECT_EQ(p.algorithm, "tree");
  ASSERT_EQ(p.stages.size(), 3u);
  EXPECT_EQ(p.stages[1].name, "rail tree all-reduce");
  EXPECT_EQ(p.stages[1].steps, 2);
  EXPECT_EQ(p.stages[1].groups, 2);
  const double s1 = 2 + 2048 / kNvlink * kUs;
  const double s2 = 2 * (4 + 2048 / kNic * kUs);
  EXPECT_NEAR(p.stages[1].time_us, s2, 1e-9);
  EXPECT_NEAR(p.time_us, 2 * s1 + s2, 1e-9);
}

TEST(ManyDomains, TreeTakesLogDomainsLatenciesWhereTheRailRingTakesDomains) {
  // 32 hosts × 2 GPUs: each rail is 32 members. A 64KiB all_reduce is latency-bound: the ring
  // pays 2·31 rail latencies, the tree 2·5 (32 members are 5 levels below the root).
  const auto plan = plan_of(R"({ "name": "many", "dilation": 1000,
    "cluster": { "hosts": 32, "gpus_per_host": 2,
      "scale_up":  { "domain": "host", "bandwidth": "900GB/s", "latency": "1us", "mtu": 9000 },
      "scale_out": { "nic_bandwidth": "400Gb/s", "latency": "2us", "rails": 2, "spines": 1, "mtu": 4200 } } })");
  const CostModel model(plan);
  const Prediction hier = model.predict(Collective::all_reduce, Algorithm::hier, 64 << 10, false);
  const Prediction tree = model.predict(Collective::all_reduce, Algorithm::tree, 64 << 10, false);
  EXPECT_EQ(tree.stages[1].steps, 10);
  EXPECT_EQ(hier.stages[1].steps, 62);
  EXPECT_LT(tree.stages[1].latency_us * 5, hier.stages[1].latency_us);
  EXPECT_LT(tree.time_us, hier.time_us);
  // Without domains, one tree over the world.
  const Prediction flat = predict(plan_of(kOneSwitch), Collective::all_reduce, Algorithm::tree, 1 << 20, false);
  ASSERT_EQ(flat.stages.size(), 1u);
  EXPECT_EQ(flat.stages[0].name, "tree all-reduce");
  EXPECT_EQ(flat.stages[0].steps, 6);  // 8 ranks: 3 levels up, 3 down
}

TEST(Tiny, OtherCollectivesFollowTheRing) {
  const auto plan = plan_of(tiny());
  const CostModel model(plan);
  // all_gather 256MiB: 3 steps of 64MiB, NIC-bound → busbw = 50GB/s.
  const Prediction ag = model.predict(Collective::all_gather, Algorithm::automatic, 256 << 20, false);
  EXPECT_NEAR(ag.time_us, 3 * 64 * kMiB / kNic * kUs, 1e-6);
  EXPECT_NEAR(ag.busbw_GBps, 50.0, 1e-9);
  // sendrecv 1MiB: 0→1, 1→2, 2→3, 3→0 at once; the slowest is a cross-rail one.
  const Prediction sr = model.predict(Collective::sendrecv, Algorithm::automatic, 1 << 20, false);
  EXPECT_NEAR(sr.time_us, 8 + kMiB / kNic * kUs, 1e-9);
  // alltoall 4MiB: steps s=1,2,3 of 1MiB. s=1 and s=3: two NVLink and two cross-rail messages;
  // s=2: 0→2, 1→3, 2→0, 3→1, all on their own rail (2 hops, 4us).
  const Prediction a2a = model.predict(Collective::alltoall, Algorithm::automatic, 4 << 20, false);
  const double cross = 8 + kMiB / kNic * kUs, rail = 4 + kMiB / kNic * kUs;
  EXPECT_NEAR(a2a.time_us, 2 * cross + rail, 1e-9);
}

TEST(Tiny, HierWhereItDoesNotApplyIsAnError) {
  const auto plan = plan_of(kOneSwitch);
  EXPECT_FALSE(CostModel(plan).hier_applicable());
  EXPECT_THROW(predict(plan, Collective::all_reduce, Algorithm::hier, 1 << 20, false), std::invalid_argument);
  EXPECT_EQ(predict(plan, Collective::all_reduce, Algorithm::automatic, 1 << 20, false).algorithm, "ring");
}

// ---- a cross-rail ring step limited by an oversubscribed uplink

TEST(Oversubscription, CrossRailRingStepSharesTheUplink) {
  // 4:1 → each leaf–spine link: 2 GPUs × 400Gb/s / (4 × 1) = 200Gb/s; 1→2 and 3→0 both take
  // leaf1→spine0: 100Gb/s each = 12.5e9 B/s, a quarter of a NIC.
  const auto plan = plan_of(tiny("4"));
  const CostModel model(plan);
  const Prediction p = model.predict(Collective::all_reduce, Algorithm::ring, 1 << 30, false);
  EXPECT_NEAR(p.time_us, 2 * 3 * 256 * kMiB / 12.5e9 * kUs, 1e-6);
  EXPECT_NEAR(p.busbw_GBps, 12.5, 1e-9);
  const Bottleneck& b = p.stages[0].bottleneck;
  EXPECT_EQ(b.from, "leaf1");
  EXPECT_EQ(b.to, "spine0");
  EXPECT_EQ(b.role, "uplink");
  EXPECT_EQ(b.messages, 2);
  EXPECT_DOUBLE_EQ(b.capacity_bps, 200e9);
  EXPECT_NE(p.bottleneck().find("leaf1→spine0 uplink"), std::string::npos) << p.bottleneck();
  // The hierarchical algorithm keeps its cross-host traffic on the rails: unaffected.
  const Prediction h = model.predict(Collective::all_reduce, Algorithm::hier, 1 << 30, false);
  const Prediction h1 = predict(plan_of(tiny("1")), Collective::all_reduce, Algorithm::hier, 1 << 30, false);
  EXPECT_NEAR(h.time_us, h1.time_us, 1e-9);
}

TEST(Ecmp, TwoSpinesSpreadOrCollide) {
  // tiny-ecmp: 2 spines, uplinks of 2 × 400Gb/s / (1 × 2) = 400Gb/s. Spread: 1→2 and 3→0 put half
  // each on either spine (load 1 per uplink): NIC-bound. Collide: both on spine0: 200Gb/s each.
  const auto plan = plan_of(tiny("1", "2"));
  const Prediction spread = predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 30, false);
  EXPECT_NEAR(spread.busbw_GBps, 50.0, 1e-9);
  Options collide;
  collide.ecmp = Ecmp::collide;
  const Prediction worst = predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 30, false, collide);
  EXPECT_NEAR(worst.busbw_GBps, 25.0, 1e-9);
  EXPECT_EQ(worst.stages[0].bottleneck.role, "uplink");
}

// ---- nccl-tests busbw factors: an ideal ring's busbw is the link bandwidth

TEST(BusBandwidth, IdealRingEqualsTheLinkRate) {
  const auto plan = plan_of(kOneSwitch);
  const CostModel model(plan);
  const std::uint64_t big = 4ull << 30;
  // Every ring edge is gpu→nvsw→gpu with 900GB/s links, one message per link direction.
  for (Collective c : {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter}) {
    const Prediction p = model.predict(c, Algorithm::ring, big, false);
    EXPECT_NEAR(p.busbw_GBps, 900.0, 1e-6) << to_string(c);
    EXPECT_NEAR(p.algbw_GBps * bus_factor(c, 8), p.busbw_GBps, 1e-9);
  }
  for (Collective c : {Collective::broadcast, Collective::alltoall, Collective::sendrecv}) {
    const Prediction p = model.predict(c, Algorithm::ring, big, false);
    EXPECT_GT(p.busbw_GBps, 0.99 * 900.0) << to_string(c);
    EXPECT_LE(p.busbw_GBps, 900.0 + 1e-6) << to_string(c);
  }
  // busbw rises with size towards the link rate.
  double last = 0;
  for (const Prediction& p : model.sweep(Collective::all_reduce, Algorithm::ring, 1024, 1 << 30, 4, false)) {
    EXPECT_GE(p.busbw_GBps, last);
    last = p.busbw_GBps;
  }
}

TEST(BusBandwidth, Factors) {
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_reduce, 8), 2.0 * 7 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::all_gather, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::reduce_scatter, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::alltoall, 8), 7.0 / 8);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::broadcast, 8), 1.0);
  EXPECT_DOUBLE_EQ(bus_factor(Collective::sendrecv, 8), 1.0);
}

// ---- dilation: emulated time = real time × dilation

TEST(Dilation, EmulatedIsRealTimesDilation) {
  for (const std::string& text : {tiny(), tiny("2", "2"), std::string(kPair), std::string(kOneSwitch)}) {
    for (double dilation : {0.0, 7.0, 1.0}) {
      const auto plan = plan_of(text, dilation);
      const CostModel model(plan);
      for (Collective c : {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                           Collective::broadcast, Collective::alltoall, Collective::sendrecv})
        for (std::uint64_t bytes : {std::uint64_t{4096}, std::uint64_t{1} << 20, std::uint64_t{1} << 28}) {
          const Prediction real = model.predict(c, Algorithm::automatic, bytes, false);
          const Prediction emu = model.predict(c, Algorithm::automatic, bytes, true);
          SCOPED_TRACE(plan.cluster + " " + std::string(to_string(c)) + " " + std::to_string(bytes) + " dilation " +
                       std::to_string(plan.dilation));
          EXPECT_FALSE(real.emulated);
          EXPECT_TRUE(emu.emulated);
          EXPECT_NEAR(emu.time_us / (real.time_us * plan.dilation), 1.0, 1e-6);
          EXPECT_NEAR(real.busbw_GBps / (emu.busbw_GBps * plan.dilation), 1.0, 1e-6);
          EXPECT_EQ(real.bottleneck_stage, emu.bottleneck_stage);
        }
    }
  }
}

// ---- TCP overhead

TEST(Transport, TcpGoodput) {
  EXPECT_DOUBLE_EQ(transport_efficiency(Transport::ideal, 1500), 1.0);
  EXPECT_DOUBLE_EQ(transport_efficiency(Transport::tcp, 1500), 1448.0 / 1514.0);
  EXPECT_DOUBLE_EQ(transport_efficiency(Transport::tcp, 9000), 8948.0 / 9014.0);
  Options tcp;
  tcp.transport = Transport::tcp;
  const auto plan = plan_of(kPair);
  const Prediction ideal = predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 30, false);
  const Prediction over_tcp = predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 30, false, tcp);
  // Large sizes: busbw scales by the payload fraction of the 9000-byte MTU.
  EXPECT_NEAR(over_tcp.busbw_GBps / ideal.busbw_GBps, 8948.0 / 9014.0, 1e-4);
  // tiny: the scale-out path MTU is 4200 → (4148/4214) of a NIC.
  const Prediction t = predict(plan_of(tiny()), Collective::all_gather, Algorithm::ring, 1 << 30, false, tcp);
  EXPECT_NEAR(t.busbw_GBps, 50.0 * 4148.0 / 4214.0, 1e-6);
}

// ---- sizes, names, the bench hook

TEST(Sizes, ParseAndSweepAsNcclTests) {
  EXPECT_EQ(parse_size("1K"), 1024u);
  EXPECT_EQ(parse_size("256M"), 256u << 20);
  EXPECT_EQ(parse_size("1G"), 1u << 30);
  EXPECT_EQ(parse_size("32MB"), 32u << 20);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_FALSE(parse_size("1X"));
  EXPECT_FALSE(parse_size(""));
  EXPECT_EQ(size_sweep(1 << 20, 256 << 20, 4), (std::vector<std::uint64_t>{1 << 20, 4 << 20, 16 << 20, 64 << 20, 256 << 20}));
  EXPECT_EQ(size_sweep(1000, 3000, 1, 1000), (std::vector<std::uint64_t>{1000, 2000, 3000}));
  EXPECT_EQ(size_sweep(8, 8, 2), (std::vector<std::uint64_t>{8}));
  const auto plan = plan_of(tiny());
  EXPECT_EQ(sweep(plan, Collective::all_reduce, Algorithm::ring, 1 << 20, 256 << 20, 4, true).size(), 5u);
}

TEST(Names, AsTheAgentsSpellThem) {
  EXPECT_EQ(parse_collective("all_reduce_perf"), Collective::all_reduce);
  EXPECT_EQ(parse_collective("allgather"), Collective::all_gather);
  EXPECT_EQ(parse_collective("bcast"), Collective::broadcast);
  EXPECT_FALSE(parse_collective("gather"));
  EXPECT_EQ(parse_algorithm("hierarchical"), Algorithm::hier);
  EXPECT_EQ(to_string(Collective::reduce_scatter), "reduce_scatter");
}

TEST(BenchHook, PredictedEmulatedBusbw) {
  const auto plan = plan_of(tiny());
  const double hook = predicted_emulated_busbw(plan, "all_reduce", "ring", 1 << 30);
  EXPECT_DOUBLE_EQ(hook, predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 30, true).busbw_GBps);
  EXPECT_NEAR(hook, 50.0 / 1000, 1e-9);  // a NIC ÷ dilation
  EXPECT_DOUBLE_EQ(predicted_emulated_busbw(plan, "all_reduce", "", 1 << 30),
                   predict(plan, Collective::all_reduce, Algorithm::automatic, 1 << 30, true).busbw_GBps);
  EXPECT_THROW(predicted_emulated_busbw(plan, "gather", "ring", 1024), std::invalid_argument);
  EXPECT_THROW(predicted_emulated_busbw(plan, "all_reduce", "butterfly", 1024), std::invalid_argument);
  EXPECT_DOUBLE_EQ(predicted_emulated_busbw(plan, "all_reduce", "tree", 1 << 20),
                   predict(plan, Collective::all_reduce, Algorithm::tree, 1 << 20, true).busbw_GBps);
  // The whole prediction, for the per-stage comparison: the same stages as predict's.
  const Prediction p = predict_emulated(plan, "all_reduce", "ring", 1 << 30);
  ASSERT_EQ(p.stages.size(), 1u);
  EXPECT_EQ(p.stages[0].name, "ring all-reduce");
  EXPECT_DOUBLE_EQ(p.busbw_GBps, hook);
}

// ---- paths

TEST(Paths, Unreachable) {
  // gpu2 is in a domain of its own and nobody has a NIC: rank 0 cannot reach it.
  const auto plan = plan_of(R"({ "name": "split",
    "nodes": [ {"name": "gpu0", "kind": "gpu"}, {"name": "gpu1", "kind": "gpu"}, {"name": "gpu2", "kind": "gpu"},
               {"name": "sw0", "kind": "switch"}, {"name": "sw1", "kind": "switch"} ],
    "links": [ {"a": "gpu0", "b": "sw0", "tier": "scale_up", "bandwidth": "900GB/s"},
               {"a": "gpu1", "b": "sw0", "tier": "scale_up", "bandwidth": "900GB/s"},
               {"a": "gpu2", "b": "sw1", "tier": "scale_up", "bandwidth": "900GB/s"} ] })");
  try {
    predict(plan, Collective::all_reduce, Algorithm::ring, 1 << 20, false);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu1 has no scale_out link"), std::string::npos) << e.what();
  }
}

TEST(Paths, SummaryPerKind) {
  const auto plan = plan_of(tiny());
  const auto paths = CostModel(plan).paths();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0].kind, "same domain");
  EXPECT_EQ(paths[0].example_to, "gpu1");
  EXPECT_EQ(paths[0].hops, 2);
  EXPECT_NEAR(paths[0].latency_real_us, 2.0, 1e-9);
  EXPECT_NEAR(paths[0].latency_emulated_us, 2000.0, 1e-6);
  EXPECT_EQ(paths[1].kind, "same leaf");
  EXPECT_EQ(paths[1].example_to, "gpu2");
  EXPECT_EQ(paths[2].kind, "via spine");
  EXPECT_EQ(paths[2].example_to, "gpu3");
  EXPECT_EQ(paths[2].hops, 4);
  EXPECT_NEAR(paths[2].latency_real_us, 8.0, 1e-9);
  EXPECT_DOUBLE_EQ(paths[2].bandwidth_real_bps, 400e9);
  EXPECT_DOUBLE_EQ(paths[2].bandwidth_emulated_bps, 400e6);
}

}  // namespace
}  // namespace scalelab::costmodel
