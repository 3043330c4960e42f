// TCP through one shaped link lands within ±5% of the configured rate (after protocol overhead).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cluster_fixture.h"
#include "emulator/netlink/netns.h"

using namespace scalelab;
using Clock = std::chrono::steady_clock;

namespace {

model::Topology two_gpus(const std::string& bandwidth) {
  return model::parse_topology(R"({"name": "tput", "dilation": 1,
    "nodes": [{"name": "gpu0", "kind": "gpu"}, {"name": "gpu1", "kind": "gpu"}],
    "links": [{"a": "gpu0", "b": "gpu1", "tier": "scale_out", "bandwidth": ")" + bandwidth + R"(", "mtu": 1500}]})",
                               "inline");
}

// Bytes received per second between `warmup` and `total`, measured at the receiver.
double measure_goodput_bps(int sender_netns, int receiver_netns, const std::string& receiver_address, double warmup_s, double total_s) {
  constexpr int kPort = 5301;
  int listener;
  {
    nl::ThreadNetnsGuard inside(receiver_netns);
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kPort);
  inet_pton(AF_INET, receiver_address.c_str(), &addr.sin_addr);
  EXPECT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(listener, 1), 0);

  std::atomic<bool> stop{false};
  std::thread sender([&] {
    int s;
    {
      nl::ThreadNetnsGuard inside(sender_netns);
      s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(s);
      return;
    }
    std::vector<char> chunk(64 * 1024, 'x');
    while (!stop) {
      if (send(s, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
    }
    close(s);
  });

  int conn = accept(listener, nullptr, nullptr);
  EXPECT_GE(conn, 0);
  timeval tv{0, 200'000};
  setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::vector<char> buf(256 * 1024);
  auto start = Clock::now();
  std::uint64_t counted = 0;
  Clock::time_point counted_from{};
  for (;;) {
    double t = std::chrono::duration<double>(Clock::now() - start).count();
    if (t >= total_s) break;
    ssize_t n = recv(conn, buf.data(), buf.size(), 0);
    if (n == 0) break;
    if (n < 0) continue;
    if (t >= warmup_s) {
      if (counted_from == Clock::time_point{}) counted_from = Clock::now();
      counted += n;
    }
  }
  double seconds = std::chrono::duration<double>(Clock::now() - counted_from).count();
  stop = true;
  close(conn);
  close(listener);
  sender.join();
  return counted * 8.0 / seconds;
}

void expect_shaped_rate(const std::string& bandwidth, double rate_bps) {
  fixtures::LiveCluster cluster(two_gpus(bandwidth));
  auto a = nl::NamedNetns::open(cluster.node("gpu0").netns);
  auto b = nl::NamedNetns::open(cluster.node("gpu1").netns);
  double goodput = measure_goodput_bps(a.fd(), b.fd(), cluster.address("gpu1", "nic0"), 0.5, 3.5);
  // htb counts whole frames (payload + 52 B of TCP/IP headers with timestamps + 14 B Ethernet).
  double expected = rate_bps * (1500.0 - 52) / (1500.0 + 14);
  EXPECT_NEAR(goodput, expected, expected * 0.05) << "shaped at " << bandwidth << ", measured " << goodput / 1e6 << " Mbit/s goodput";
  ::testing::Test::RecordProperty("goodput_mbps", std::to_string(goodput / 1e6));
}

}  // namespace

TEST(Throughput, ShapedLinkAt100Mbps) {
  SCALELAB_REQUIRE_ROOT();
  expect_shaped_rate("100Mb/s", 100e6);
}

TEST(Throughput, ShapedLinkAt1Gbps) {
  SCALELAB_REQUIRE_ROOT();
  expect_shaped_rate("1Gb/s", 1e9);
}
