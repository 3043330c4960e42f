// Every collective x dtype x op over the in-process transport, world sizes 1..9, odd counts, in and
// out of place, checked against references computed from the input pattern alone.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fmt/format.h>
#include <thread>

#include "bench/benchmark.h"
#include "collectives/algorithms.h"
#include "collectives/pattern.h"
#include "test_util.h"

using namespace scalelab::agent;
using scalelab::agent::testing::run_inprocess;

namespace {

const DType kTypes[] = {DType::float32, DType::float16, DType::bfloat16, DType::int32};
const Op kOps[] = {Op::sum, Op::max, Op::min};
const Collective kColls[] = {Collective::all_reduce, Collective::all_gather, Collective::reduce_scatter,
                             Collective::broadcast,  Collective::alltoall,   Collective::sendrecv};
const std::size_t kCounts[] = {1, 7, 1023, 4099};

// Element counts of the send and receive buffers for parameter count `p` (nccl semantics).
std::pair<std::size_t, std::size_t> buf_counts(Collective c, std::size_t p, int n) {
  switch (c) {
    case Collective::all_gather: return {p, p * n};
    case Collective::reduce_scatter: return {p * n, p};
    case Collective::alltoall: return {p * n, p * n};
    default: return {p, p};
  }
}

// Runs one case on this rank; returns a description when the result is wrong.
std::string run_case(Comm& c, Collective coll, DType t, Op op, std::size_t p, bool in_place, int root, Algo algo,
                     uint64_t seed) {
  const int n = c.size(), r = c.rank();
  const std::size_t es = dtype_size(t);
  auto [sc, rc] = buf_counts(coll, p, n);
  std::vector<std::byte> sbuf((std::max(sc, rc) + 1) * es), rbuf((std::max(sc, rc) + 1) * es);
  std::byte* send = sbuf.data();
  std::byte* recv = rbuf.data();
  if (in_place) {
    send = recv = rbuf.data();
    if (coll == Collective::all_gather) send = recv + r * p * es;
    if (coll == Collective::reduce_scatter) recv = send + r * p * es;
  }
  fill_sentinel(t, recv, rc);
  fill_input(t, send, sc, r, 0, seed);
  BenchConfig cfg;
  cfg.coll = coll;
  cfg.dtype = t;
  cfg.op = op;
  cfg.root = root;
  cfg.algo = algo;
  run_collective(c, cfg, send, recv, p);
  const auto exp = expected_output(coll, t, op, r, n, root, p, seed);
  const int64_t wrong = count_wrong(t, op, recv, exp, n);
  if (wrong == 0) return {};
  return fmt::format("n={} rank={} {} {} {} count={} {} root={}: {} wrong", n, r, collective_name(coll), dtype_name(t),
                     op_name(op), p, in_place ? "in-place" : "out-of-place", root, wrong);
}

std::vector<std::string> sweep(Comm& c, const std::vector<Collective>& colls, Algo algo) {
  std::vector<std::string> fails;
  uint64_t seed = 1;
  for (Collective coll : colls)
    for (DType t : kTypes)
      for (Op op : kOps) {
        if (!is_reduction(coll) && op != Op::sum) continue;  // op does not matter
        for (std::size_t p : kCounts)
          for (bool ip : {false, true}) {
            const int root = static_cast<int>((p + seed) % c.size());
            auto f = run_case(c, coll, t, op, p, ip, root, algo, ++seed);
            if (!f.empty()) fails.push_back(f);
          }
      }
  return fails;
}

CommOptions small_chunks() {
  CommOptions o;
  o.chunk_bytes = 1024;  // many pipeline chunks even for the small counts
  o.step_timeout = Millis(10000);
  return o;
}

}  // namespace

class CollectivesWorld : public ::testing::TestWithParam<int> {};

TEST_P(CollectivesWorld, EveryCollectiveDtypeOpCount) {
  const int n = GetParam();
  std::mutex mu;
  std::vector<std::string> fails;
  auto errors = run_inprocess(n, 0, small_chunks(), [&](Comm& c) {
    auto f = sweep(c, std::vector<Collective>(std::begin(kColls), std::end(kColls)), Algo::ring);
    std::lock_guard lk(mu);
    fails.insert(fails.end(), f.begin(), f.end());
  });
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_TRUE(fails.empty()) << fails.size() << " failures, first: " << fails.front();
}

INSTANTIATE_TEST_SUITE_P(Agents, CollectivesWorld, ::testing::Range(1, 10));

struct HierLayout {
  int domains, size;
};

class HierAllReduce : public ::testing::TestWithParam<HierLayout> {};

// Every all_reduce case of the sweep with `algo` on n in-process ranks in domains of `domain_size`.
static void expect_all_reduce_correct(int n, int domain_size, Algo algo) {
  std::mutex mu;
  std::vector<std::string> fails;
  auto errors = run_inprocess(n, domain_size, small_chunks(), [&](Comm& c) {
    ASSERT_EQ(resolve_algo(c.domains(), algo), algo);
    auto f = sweep(c, {Collective::all_reduce}, algo);
    std::lock_guard lk(mu);
    fails.insert(fails.end(), f.begin(), f.end());
  });
  EXPECT_TRUE(errors.empty()) << errors.front();
  EXPECT_TRUE(fails.empty()) << fails.size() << " failures, first: " << fails.front();
}

TEST_P(HierAllReduce, MatchesReference) {
  const auto [d, s] = GetParam();
  ASSERT_EQ(resolve_algo(domains_of(make_inprocess_cluster(d * s, s)), Algo::automatic), Algo::hier);
  expect_all_reduce_correct(d * s, s, Algo::hier);
}

INSTANTIATE_TEST_SUITE_P(Agents, HierAllReduce,
                         ::testing::Values(HierLayout{2, 2}, HierLayout{3, 3}, HierLayout{2, 4}, HierLayout{4, 2}),
                         [](const auto& info) { return fmt::format("d{}x{}", info.param.domains, info.param.size); });

class TreeAllReduce : public ::testing::TestWithParam<HierLayout> {};

// A tree per rail across domains (or, with no domains, one tree over the world), with 1 KiB chunks
// so every case is pipelined over several chunks.
TEST_P(TreeAllReduce, MatchesReference) {
  const auto [d, s] = GetParam();
  expect_all_reduce_correct(d * std::max(s, 1), s, Algo::tree);
}

INSTANTIATE_TEST_SUITE_P(Agents, TreeAllReduce,
                         ::testing::Values(HierLayout{2, 0}, HierLayout{5, 0}, HierLayout{9, 0}, HierLayout{2, 2},
                                           HierLayout{3, 3}, HierLayout{7, 2}),
                         [](const auto& info) { return fmt::format("d{}x{}", info.param.domains, info.param.size); });

TEST(AlgoChoice, TreePeersAreTheRailTreesParentAndChildren) {
  // 8 domains of 2: rail 0 is ranks 0,2,...,14; rank 6 sits at position 3, under position 1
  // (rank 2), over positions 7 (rank 14); its domain mate is rank 7; ring neighbours 5 and 7.
  std::vector<int> domains(16);
  for (int r = 0; r < 16; ++r) domains[r] = r / 2;
  const auto peers = peers_needed(domains, 6, false, Algo::tree);
  for (int p : {2, 14, 7, 5}) EXPECT_NE(std::find(peers.begin(), peers.end(), p), peers.end()) << p;
  // No rail ring: positions 2 and 4 (ranks 4, 8) are not its tree neighbours.
  EXPECT_EQ(std::find(peers.begin(), peers.end(), 8), peers.end());
}

TEST(AlgoChoice, AutoPicksHierOnlyForEqualMultiRankDomains) {
  EXPECT_EQ(resolve_algo({0, 0, 1, 1}, Algo::automatic), Algo::hier);
  EXPECT_EQ(resolve_algo({0, 0, 1, 1, 1}, Algo::automatic), Algo::ring);  // unequal
  EXPECT_EQ(resolve_algo({0, 0, 0, 0}, Algo::automatic), Algo::ring);     // one domain
  EXPECT_EQ(resolve_algo({0, 1, 2, 3}, Algo::automatic), Algo::ring);     // one rank per domain
  EXPECT_EQ(resolve_algo({-1, -1, -1}, Algo::automatic), Algo::ring);     // no domains
  EXPECT_EQ(resolve_algo({0, 0, 1, 1}, Algo::ring), Algo::ring);
  EXPECT_THROW(resolve_algo({0, 0, 1}, Algo::hier), std::invalid_argument);
  EXPECT_EQ(resolve_algo({1, 0, 1, 0}, Algo::automatic), Algo::hier);  // interleaved domain ids
}

TEST(AlgoChoice, SplitEven) {
  auto s = split_even(10, 4);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_EQ(s[0].count, 3u);
  EXPECT_EQ(s[1].count, 3u);
  EXPECT_EQ(s[2].count, 2u);
  EXPECT_EQ(s[3].offset, 8u);
  auto z = split_even(2, 5);
  EXPECT_EQ(z[4].count, 0u);
  EXPECT_EQ(z[4].offset, 2u);
}

TEST(HierAllReduce, InterleavedDomainIds) {
  // Domains need not be contiguous rank ranges: ranks 0,2 in domain 1 and 1,3 in domain 0.
  auto fabric = std::make_shared<InProcessFabric>(4);
  ClusterInfo cl = make_inprocess_cluster(4, 2);
  for (int r = 0; r < 4; ++r) cl.ranks[r].domain = (r % 2 == 0) ? 1 : 0;
  std::atomic<int> bad{0};
  std::vector<std::thread> ts;
  for (int r = 0; r < 4; ++r)
    ts.emplace_back([&, r] {
      auto c = connect_inprocess_comm(fabric, cl, r, small_chunks());
      for (std::size_t p : kCounts)
        if (!run_case(*c, Collective::all_reduce, DType::float32, Op::sum, p, false, 0, Algo::hier, p).empty()) ++bad;
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(StageTimes, AddUpByNameInFirstSeenOrderAndSkipAFailedStage) {
  auto errors = run_inprocess(1, 0, CommOptions{}, [&](Comm& c) {
    c.add_stage_time("b", 1.0);
    c.add_stage_time("a", 0.5);
    c.add_stage_time("b", 2.0);
    ASSERT_EQ(c.stage_times().size(), 2u);
    EXPECT_EQ(c.stage_times()[0].name, "b");
    EXPECT_DOUBLE_EQ(c.stage_times()[0].seconds, 3.0);
    EXPECT_DOUBLE_EQ(c.stage_times()[1].seconds, 0.5);
    try {
      StageTimer t(c, "failed");
      throw std::runtime_error("stage failed");
    } catch (const std::runtime_error&) {
    }
    { StageTimer t(c, "ok"); }
    ASSERT_EQ(c.stage_times().size(), 3u);
    EXPECT_EQ(c.stage_times()[2].name, "ok");
    c.reset_stage_times();
    EXPECT_TRUE(c.stage_times().empty());
  });
  EXPECT_TRUE(errors.empty());
}

TEST(MaxAcross, IsElementWise) {
  std::mutex mu;
  std::vector<std::vector<double>> got;
  auto errors = run_inprocess(3, 0, CommOptions{}, [&](Comm& c) {
    const double r = c.rank();
    auto m = max_across(c, std::vector<double>{r, -r, 10 - r});
    std::lock_guard lk(mu);
    got.push_back(m);
  });
  ASSERT_TRUE(errors.empty()) << errors.front();
  for (const auto& m : got) EXPECT_EQ(m, (std::vector<double>{2, 0, 10}));
}

TEST(RingCombine, SumsAndBarriersOnEveryWorldSize) {
  for (int n : {1, 2, 3, 7}) {
    std::atomic<int> entered{0}, early{0}, wrong{0};
    auto errors = run_inprocess(n, 0, CommOptions{}, [&](Comm& c) {
      if (c.rank() == n - 1) std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the last to arrive
      ++entered;
      barrier(c);
      if (entered.load() != n) ++early;  // nobody leaves before everyone came
      if (sum_across(c, c.rank() + 1) != n * (n + 1) / 2) ++wrong;
    });
    ASSERT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(early.load(), 0) << n << " ranks";
    EXPECT_EQ(wrong.load(), 0) << n << " ranks";
  }
}

TEST(DataCheck, DetectsCorruption) {
  const int n = 4;
  std::vector<std::byte> buf(16 * 4);
  const auto exp = expected_output(Collective::all_reduce, DType::float32, Op::sum, 0, n, 0, 16, 7);
  for (std::size_t i = 0; i < 16; ++i) store_element(DType::float32, buf.data(), i, exp[i]);
  EXPECT_EQ(count_wrong(DType::float32, Op::sum, buf.data(), exp, n), 0);
  store_element(DType::float32, buf.data(), 3, exp[3] + 1);
  store_element(DType::float32, buf.data(), 9, std::nan(""));
  EXPECT_EQ(count_wrong(DType::float32, Op::sum, buf.data(), exp, n), 2);
}

namespace {
struct RankOutcome {
  bool threw = false;
  ErrorInfo info;
  double seconds = 0;
};
}  // namespace

TEST(InprocessFailures, StalledPeerIsNamedWithinDeadline) {
  const int n = 4;
  CommOptions o;
  o.step_timeout = Millis(300);
  auto fabric = std::make_shared<InProcessFabric>(n);
  const ClusterInfo cl = make_inprocess_cluster(n, 0);
  std::vector<RankOutcome> out(n);
  std::vector<std::thread> ts;
  for (int r = 0; r < n; ++r)
    ts.emplace_back([&, r] {
      auto c = connect_inprocess_comm(fabric, cl, r, o);
      if (r == 2) {  // connected, then never takes part
        std::this_thread::sleep_for(Millis(1200));
        return;
      }
      std::vector<float> v(4096, 1.0f);
      const auto t0 = Clock::now();
      try {
        all_reduce(*c, v.data(), v.data(), v.size(), DType::float32, Op::sum, Algo::ring);
      } catch (const CollectiveError& e) {
        out[r].threw = true;
        out[r].info = e.info();
        fabric->fail(r, e.info().cause);
      }
      out[r].seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    });
  for (auto& t : ts) t.join();
  // Rank 3 receives from rank 2 first: it must name rank 2, within timeout + 20%.
  ASSERT_TRUE(out[3].threw);
  EXPECT_EQ(out[3].info.peer, 2);
  EXPECT_EQ(out[3].info.rank, 3);
  EXPECT_EQ(out[3].info.transport, "inprocess");
  EXPECT_NE(out[3].info.cause.find("timeout after 300 ms"), std::string::npos) << out[3].info.cause;
  EXPECT_LE(out[3].seconds, 0.36 + 0.05);
  EXPECT_GE(out[3].info.elapsed_ms, 290);
  for (int r : {0, 1}) {  // everybody else fails too, none hangs
    EXPECT_TRUE(out[r].threw) << r;
    EXPECT_LE(out[r].seconds, 1.0) << r;
  }
}

TEST(InprocessFailures, MissingRankFailsConnect) {
  auto fabric = std::make_shared<InProcessFabric>(3);
  const ClusterInfo cl = make_inprocess_cluster(3, 0);
  std::vector<int> peer(2, -2);
  std::vector<std::thread> ts;
  for (int r = 0; r < 2; ++r)
    ts.emplace_back([&, r] {
      try {
        connect_inprocess_comm(fabric, cl, r, CommOptions{}, Millis(200));
      } catch (const CollectiveError& e) {
        peer[r] = e.info().peer;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(peer[0], 2);
  EXPECT_EQ(peer[1], 2);
}
