// TCP transport on 127.0.0.1: 4 ranks as threads of this process, each with its own port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fmt/format.h>
#include <thread>

#include "bench/benchmark.h"
#include "collectives/algorithms.h"
#include "collectives/pattern.h"
#include "collectives/setup.h"
#include "tcp_test_util.h"

using namespace scalelab::agent;

using namespace scalelab::agent::testing;

TEST(TcpTransport, FourRanksAllReduce) {
  std::atomic<int> bad{0};
  auto out = run_tcp(4, opts(5000, 5000), {}, [&](Comm& c) {
    // A large pipelined float all_reduce (many chunks), then odd counts of every dtype, in place.
    for (std::size_t count : {std::size_t(1) << 20, std::size_t(4099), std::size_t(3), std::size_t(1)}) {
      for (DType t : {DType::float32, DType::int32, DType::bfloat16}) {
        const std::size_t es = dtype_size(t);
        std::vector<std::byte> buf(count * es);
        fill_input(t, buf.data(), count, c.rank(), 0, count + 1);
        all_reduce(c, buf.data(), buf.data(), count, t, Op::sum, Algo::ring);
        const auto exp = expected_output(Collective::all_reduce, t, Op::sum, c.rank(), c.size(), 0, count, count + 1);
        if (count_wrong(t, Op::sum, buf.data(), exp, c.size()) != 0) ++bad;
      }
    }
    // The whole benchmark path, including the max-over-ranks timing and the data check.
    BenchConfig cfg;
    cfg.coll = Collective::alltoall;
    cfg.minbytes = 1024;
    cfg.maxbytes = 64 << 10;
    cfg.stepfactor = 8;
    cfg.iters = 2;
    cfg.warmup = 1;
    if (run_benchmark(c, cfg).errors != 0) ++bad;
  });
  for (int r = 0; r < 4; ++r) {
    EXPECT_FALSE(out[r].threw) << out[r].info.cause;
    EXPECT_TRUE(out[r].other.empty()) << out[r].other;
  }
  EXPECT_EQ(bad.load(), 0);
}

TEST(TcpTransport, MissingRankIsNamedWithinDeadline) {
  // Rank 3 never shows up: every other rank fails to connect and names rank 3, within timeout + 20%.
  const int timeout_ms = 600;
  auto out = run_tcp(4, opts(timeout_ms, timeout_ms), {3}, [](Comm&) {});
  for (int r = 0; r < 3; ++r) {
    ASSERT_TRUE(out[r].threw) << "rank " << r << " " << out[r].other;
    EXPECT_EQ(out[r].info.rank, r);
    EXPECT_EQ(out[r].info.peer, 3) << out[r].info.cause;
    EXPECT_EQ(out[r].info.transport, "tcp");
    EXPECT_EQ(out[r].info.tier, "scale_out");
    EXPECT_EQ(out[r].info.link, "lo 127.0.0.1 -> 127.0.0.1");
    EXPECT_NE(out[r].info.cause.find("timeout after 600 ms"), std::string::npos) << out[r].info.cause;
    EXPECT_LE(out[r].seconds, timeout_ms * 1.2 / 1000) << "rank " << r;
    EXPECT_GE(out[r].seconds, timeout_ms * 0.9 / 1000) << "rank " << r;
  }
}

TEST(TcpTransport, StalledPeerTimesOutNamingIt) {
  // Rank 2 connects, then never takes part (and keeps its sockets open): rank 3, which receives
  // from rank 2 in the ring, names rank 2 after the step deadline.
  const int step_ms = 400;
  auto out = run_tcp(4, opts(5000, step_ms), {}, [&](Comm& c) {
    if (c.rank() == 2) {
      std::this_thread::sleep_for(Millis(step_ms * 3));
      return;
    }
    std::vector<float> v(1 << 16, 1.0f);
    all_reduce(c, v.data(), v.data(), v.size(), DType::float32, Op::sum, Algo::ring);
  });
  ASSERT_TRUE(out[3].threw);
  EXPECT_EQ(out[3].info.peer, 2);
  EXPECT_NE(out[3].info.cause.find("timeout after 400 ms"), std::string::npos) << out[3].info.cause;
  EXPECT_GE(out[3].info.elapsed_ms, step_ms * 0.9);
  EXPECT_LE(out[3].info.elapsed_ms, step_ms * 1.2);
  for (int r : {0, 1}) EXPECT_TRUE(out[r].threw) << r;  // nobody hangs
}

TEST(TcpTransport, PeerThatExitsIsReportedAsConnectionLoss) {
  // Rank 1 connects and exits (closes its sockets): ranks 0 and 2 fail fast, naming rank 1.
  auto out = run_tcp(3, opts(5000, 5000), {}, [&](Comm& c) {
    if (c.rank() == 1) return;  // ~Comm closes the connections
    std::vector<float> v(1 << 16, 1.0f);
    all_reduce(c, v.data(), v.data(), v.size(), DType::float32, Op::sum, Algo::ring);
  });
  // Rank 2 receives from rank 1: it sees the EOF. Rank 0 sends to rank 1 and receives from rank 2, so
  // it names whichever loss it meets first.
  ASSERT_TRUE(out[2].threw);
  EXPECT_EQ(out[2].info.peer, 1) << out[2].info.cause;
  EXPECT_NE(out[2].info.cause.find("closed the connection"), std::string::npos) << out[2].info.cause;
  ASSERT_TRUE(out[0].threw);
  EXPECT_TRUE(out[0].info.peer == 1 || out[0].info.peer == 2) << out[0].info.cause;
  for (int r : {0, 2}) EXPECT_LT(out[r].seconds, 2.0) << out[r].info.cause;  // long before the 5 s deadline
}

namespace {

// Two ranks where rank 1 starts `late_ms` after rank 0; with `premade`, both ports listen from the
// start (the launcher's sockets). Returns each rank's redialled() count (-1: failed).
std::vector<int> late_second_rank(int late_ms, bool premade) {
  const int base = free_base(2);
  const ClusterInfo c = loopback_cluster(2, base);
  std::vector<int> fds(2, -1), redialled(2, -1);
  if (premade)
    for (int r = 0; r < 2; ++r) fds[r] = loopback_listener(base + r);
  std::vector<std::thread> ts;
  for (int r = 0; r < 2; ++r)
    ts.emplace_back([&, r] {
      if (r == 1) std::this_thread::sleep_for(Millis(late_ms));
      auto o = opts(5000, 5000);
      o.tcp.listen_fd = fds[r];
      try {
        auto comm = connect_comm(c, r, plan_transports(c, r, TransportKind::tcp), o);
        std::vector<float> v(1 << 16, 1.0f);
        all_reduce(*comm, v.data(), v.data(), v.size(), DType::float32, Op::sum, Algo::ring);
        if (v.front() == 2.0f && v.back() == 2.0f) redialled[r] = comm->redialled();
      } catch (const std::exception& e) {
        ADD_FAILURE() << "rank " << r << ": " << e.what();
      }
    });
  for (auto& t : ts) t.join();
  return redialled;
}

}  // namespace

TEST(TcpTransport, APeerListeningLateIsDialledAgainUntilItListens) {
  const auto redialled = late_second_rank(300, false);
  EXPECT_GE(redialled[0], 2) << "rank 0's dials to the absent rank 1 were refused and made again";
  EXPECT_EQ(redialled[1], 0) << "rank 0 was listening when rank 1 started";
}

TEST(TcpTransport, PortsThatListenFromTheStartNeedNoDialAgain) {
  // The launcher's sockets (SCALELAB_TCP_LISTEN_FD): the kernel queues rank 0's dial in rank 1's
  // backlog until rank 1 starts, so nothing is refused.
  const auto redialled = late_second_rank(300, true);
  EXPECT_EQ(redialled, (std::vector<int>{0, 0}));
}

TEST(TcpTransport, AHandedOverSocketOnTheWrongPortIsRefusedByName) {
  const int base = free_base(3);
  const int fd = loopback_listener(base + 2);
  TcpOptions o;
  o.base_port = static_cast<uint16_t>(base);
  o.listen_fd = fd;
  try {
    TcpTransport t(1, 2, o);
    ADD_FAILURE() << "took a socket listening on another port";
  } catch (const CollectiveError& e) {
    EXPECT_NE(std::string(e.what()).find(fmt::format("is not listening on port {} (base port {} + rank 1)", base + 1, base)),
              std::string::npos)
        << e.what();
  }
  ::close(fd);
}

TEST(TcpTransport, InheritedListenFdComesFromTheEnvironment) {
  ::unsetenv("SCALELAB_TCP_LISTEN_FD");
  EXPECT_EQ(inherited_listen_fd(), -1);
  ::setenv("SCALELAB_TCP_LISTEN_FD", "7", 1);
  EXPECT_EQ(inherited_listen_fd(), 7);
  ::setenv("SCALELAB_TCP_LISTEN_FD", "seven", 1);
  EXPECT_THROW(inherited_listen_fd(), std::runtime_error);
  ::unsetenv("SCALELAB_TCP_LISTEN_FD");
}
