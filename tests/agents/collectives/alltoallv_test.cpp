// alltoallv and point-to-point between arbitrary pairs, over the in-process transport, for odd
// world sizes and skewed (including empty) blocks.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>
#include <thread>

#include "collectives/algorithms.h"
#include "test_util.h"

namespace scalelab::agent {
namespace {

using testing::run_inprocess;

// Bytes rank s sends rank d: uneven, some zero (every third pair), the rank to itself too.
std::size_t block(int s, int d) { return (s + d) % 3 == 0 ? 0 : 100 * (s + 1) + 7 * d; }
std::byte value(int s, int d, std::size_t k) { return static_cast<std::byte>((s * 31 + d * 7 + k) & 0xff); }

class Alltoallv : public ::testing::TestWithParam<int> {};

TEST_P(Alltoallv, EveryBlockArrivesWhereItWasSent) {
  const int n = GetParam();
  std::vector<int> wrong(n, -1);
  auto errors = run_inprocess(n, 0, CommOptions{}, [&](Comm& c) {
    const int r = c.rank();
    std::vector<std::size_t> out(n), in(n);
    for (int j = 0; j < n; ++j) out[j] = block(r, j), in[j] = block(j, r);
    std::vector<std::byte> send(std::accumulate(out.begin(), out.end(), std::size_t{0}));
    std::vector<std::byte> recv(std::accumulate(in.begin(), in.end(), std::size_t{0}), std::byte{0xee});
    for (int j = 0, off = 0; j < n; off += static_cast<int>(out[j]), ++j)
      for (std::size_t k = 0; k < out[j]; ++k) send[off + k] = value(r, j, k);
    alltoallv(c, send.data(), out, recv.data(), in);
    int bad = 0;
    for (int j = 0, off = 0; j < n; off += static_cast<int>(in[j]), ++j)
      for (std::size_t k = 0; k < in[j]; ++k) bad += recv[off + k] != value(j, r, k);
    wrong[r] = bad;
  });
  ASSERT_TRUE(errors.empty()) << errors.front();
  for (int r = 0; r < n; ++r) EXPECT_EQ(wrong[r], 0) << "rank " << r;
}

INSTANTIATE_TEST_SUITE_P(Agents, Alltoallv, ::testing::Values(1, 2, 3, 5, 7));

TEST(Alltoallv, RefusesSizesOfTheWrongLength) {
  auto errors = run_inprocess(2, 0, CommOptions{}, [&](Comm& c) {
    std::vector<std::byte> b(8);
    EXPECT_THROW(alltoallv(c, b.data(), {1}, b.data(), {1, 1}), std::invalid_argument);
  });
  EXPECT_TRUE(errors.empty());
}

TEST(PointToPoint, AnyPairInAnyOrder) {
  // Rank 0 → 3 and 2 → 1 while 1 → 2: pairs that are not ring neighbours, both directions at once.
  std::vector<std::vector<int>> got(4);
  auto errors = run_inprocess(4, 0, CommOptions{}, [&](Comm& c) {
    int v = 100 + c.rank(), in = -1;
    switch (c.rank()) {
      case 0: send_to(c, 3, &v, sizeof v); break;
      case 3: recv_from(c, 0, &in, sizeof in); got[3].push_back(in); break;
      case 1: send_to(c, 2, &v, sizeof v); recv_from(c, 2, &in, sizeof in); got[1].push_back(in); break;
      case 2: send_to(c, 1, &v, sizeof v); recv_from(c, 1, &in, sizeof in); got[2].push_back(in); break;
    }
  });
  ASSERT_TRUE(errors.empty()) << errors.front();
  EXPECT_EQ(got[3], std::vector<int>{100});
  EXPECT_EQ(got[1], std::vector<int>{102});
  EXPECT_EQ(got[2], std::vector<int>{101});
}

TEST(PointToPoint, ASilentPeerIsATimeoutNamingIt) {
  CommOptions o;
  o.step_timeout = Millis(200);
  auto errors = run_inprocess(2, 0, o, [&](Comm& c) {
    int in = 0;
    if (c.rank() == 0) recv_from(c, 1, &in, sizeof in);
    else std::this_thread::sleep_for(std::chrono::milliseconds(600));  // alive, silent
  });
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("rank 0"), std::string::npos);
  EXPECT_NE(errors[0].find("timeout"), std::string::npos) << errors[0];
}

}  // namespace
}  // namespace scalelab::agent
