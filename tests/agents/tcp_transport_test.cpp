// TCP transport on 127.0.0.1: 4 ranks as threads of this process, each with its own port.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fmt/format.h>
#include <thread>

#include "collectives/algorithms.h"
#include "collectives/benchmark.h"
#include "collectives/pattern.h"
#include "collectives/setup.h"

using namespace scalelab::agent;

namespace {

bool port_free(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// A base port with n free ports after it (different per process and per call).
int free_base(int n) {
  static std::atomic<int> next{20000 + (::getpid() * 97) % 30000};
  for (int tries = 0; tries < 200; ++tries) {
    const int base = next.fetch_add(n + 3);
    if (base + n > 60000) {
      next = 20000;
      continue;
    }
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) ok = port_free(base + i);
    if (ok) return base;
  }
  throw std::runtime_error("no free port range");
}

ClusterInfo loopback_cluster(int n, int base) {
  std::string ranks;
  for (int r = 0; r < n; ++r)
    ranks += fmt::format(R"({}{{"rank": {}, "node": "t{}", "scale_out": {{"ifname": "lo", "address": "127.0.0.1"}}}})",
                         r ? "," : "", r, r);
  return parse_cluster(fmt::format(R"({{"name": "loop", "base_port": {}, "ranks": [{}]}})", base, ranks));
}

struct Outcome {
  bool threw = false;
  ErrorInfo info;
  double seconds = 0;
  std::string other;
};

ConnectOptions opts(int connect_ms, int step_ms) {
  ConnectOptions o;
  o.connect_timeout = Millis(connect_ms);
  o.comm.step_timeout = Millis(step_ms);
  o.comm.chunk_bytes = 256 << 10;
  return o;
}

// Runs body on ranks [0, n) except those in `absent`, each as a thread with its own TcpTransport.
std::vector<Outcome> run_tcp(int n, const ConnectOptions& o, const std::vector<int>& absent,
                             const std::function<void(Comm&)>& body) {
  const ClusterInfo c = loopback_cluster(n, free_base(n));
  std::vector<Outcome> out(n);
  std::vector<std::thread> ts;
  for (int r = 0; r < n; ++r) {
    if (std::find(absent.begin(), absent.end(), r) != absent.end()) continue;
    ts.emplace_back([&, r] {
      const auto t0 = Clock::now();
      try {
        auto comm = connect_comm(c, r, plan_transports(c, r, TransportKind::tcp), o);
        body(*comm);
      } catch (const CollectiveError& e) {
        out[r].threw = true;
        out[r].info = e.info();
      } catch (const std::exception& e) {
        out[r].other = e.what();
      }
      out[r].seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    });
  }
  for (auto& t : ts) t.join();
  return out;
}

}  // namespace

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
