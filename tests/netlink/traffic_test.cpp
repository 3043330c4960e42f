// Real TCP traffic through a veth pair shaped by htb: the goodput the kernel delivers must match
// the configured rate once TCP/IP headers and the Ethernet header are accounted for.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "emulator/netlink/addresses.h"
#include "emulator/netlink/error.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/qdiscs.h"
#include "netlink_test_support.h"

namespace scalelab::nl {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kSenderAddress = "198.18.255.1/30";
constexpr const char* kReceiverAddress = "198.18.255.2/30";
constexpr const char* kReceiverIp = "198.18.255.2";
constexpr std::uint16_t kPort = 5201;

struct Sample {
  Clock::time_point when;
  std::uint64_t bytes;  // cumulative payload received
};

struct Transfer {
  std::vector<Sample> samples;
  std::string receiver_error, sender_error;
  std::uint64_t total() const { return samples.empty() ? 0 : samples.back().bytes; }

  // Payload bits per second between `from` and `to` seconds after the first byte arrived.
  double goodput_bps(double from, double to) const {
    if (samples.empty()) return 0;
    auto t0 = samples.front().when;
    auto at = [&](double s) { return t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s)); };
    const Sample* first = nullptr;
    const Sample* last = nullptr;
    for (const auto& s : samples) {
      if (!first && s.when >= at(from)) first = &s;
      if (s.when <= at(to)) last = &s;
    }
    if (!first || !last || last->when <= first->when) return 0;
    double seconds = std::chrono::duration<double>(last->when - first->when).count();
    return static_cast<double>(last->bytes - first->bytes) * 8.0 / seconds;
  }
};

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

void set_timeout(int fd, int option, std::chrono::milliseconds t) {
  timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

// Receiver thread in `receiver_ns` listening on kReceiverIp:kPort, sender thread in `sender_ns`
// sending for `duration`. `during` runs on the calling thread while the transfer is going.
// Every loop is bounded in time, so a broken data path fails the test instead of hanging it.
Transfer run_tcp_transfer(int sender_ns, int receiver_ns, std::chrono::milliseconds duration,
                          const std::function<void()>& during = {}) {
  Transfer result;
  std::promise<bool> listening;
  auto listening_future = listening.get_future();
  const auto hard_deadline = Clock::now() + duration + std::chrono::seconds(10);

  std::thread receiver([&] {
    ThreadNetnsGuard in(receiver_ns);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(kPort);
    inet_pton(AF_INET, kReceiverIp, &addr.sin_addr);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(listener, 1) < 0) {
      result.receiver_error = errno_text("listen on " + std::string(kReceiverIp));
      if (listener >= 0) close(listener);
      listening.set_value(false);
      return;
    }
    listening.set_value(true);
    pollfd p{listener, POLLIN, 0};
    int conn = -1;
    if (poll(&p, 1, 5000) == 1) conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    close(listener);
    if (conn < 0) {
      result.receiver_error = "no connection within 5 s";
      return;
    }
    set_timeout(conn, SO_RCVTIMEO, std::chrono::milliseconds(1000));
    std::vector<char> buffer(1 << 18);
    std::uint64_t total = 0;
    result.samples.reserve(1 << 16);
    while (Clock::now() < hard_deadline) {
      ssize_t n = recv(conn, buffer.data(), buffer.size(), 0);
      if (n == 0) break;  // sender finished
      if (n < 0) {
        if (errno == EINTR) continue;
        result.receiver_error = errno_text("recv");
        break;
      }
      total += static_cast<std::uint64_t>(n);
      result.samples.push_back({Clock::now(), total});
    }
    close(conn);
  });

  std::thread sender([&] {
    ThreadNetnsGuard in(sender_ns);
    if (listening_future.wait_for(std::chrono::seconds(5)) != std::future_status::ready || !listening_future.get()) {
      result.sender_error = "receiver never listened";
      return;
    }
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      result.sender_error = errno_text("socket");
      return;
    }
    set_timeout(s, SO_SNDTIMEO, std::chrono::milliseconds(2000));  // also bounds connect()
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(kPort);
    inet_pton(AF_INET, kReceiverIp, &addr.sin_addr);
    if (connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
      result.sender_error = errno_text("connect to " + std::string(kReceiverIp));
      close(s);
      return;
    }
    std::vector<char> chunk(1 << 16, 'x');
    const auto stop = Clock::now() + duration;
    while (Clock::now() < stop) {
      ssize_t n = send(s, chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
        result.sender_error = errno_text("send");
        break;
      }
    }
    shutdown(s, SHUT_WR);
    close(s);
  });

  if (during) during();
  sender.join();
  receiver.join();
  return result;
}

class TrafficTest : public test::VethPairTest {
 protected:
  static constexpr std::uint32_t kMtu = 1500;

  static HtbParams shaping(std::uint64_t rate_bps) {
    const std::uint64_t frame = kMtu + 14;
    HtbParams p;
    p.rate_bps = rate_bps;
    p.burst_bytes = static_cast<std::uint32_t>(std::max<std::uint64_t>(rate_bps / 8 / 1000, 4 * frame));
    p.quantum_bytes = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(rate_bps / 8 / 10, frame, 200'000));
    p.mtu = kMtu;
    return p;
  }

  // TCP payload per segment (MSS minus the 12-byte timestamp option) over the bytes htb charges
  // for it on the wire (the IP packet plus the Ethernet header).
  static double expected_goodput(std::uint64_t rate_bps) {
    return static_cast<double>(rate_bps) * (kMtu - 52.0) / (kMtu + 14.0);
  }

  void SetUp() override {
    VethPairTest::SetUp();
    if (IsSkipped()) return;
    add_address(*sa_, kA0, kSenderAddress);
    add_address(*sb_, kB0, kReceiverAddress);
  }
};

TEST_F(TrafficTest, HtbShapesTcpGoodputTo100Mbit) {
  const std::uint64_t rate = 100'000'000;
  set_htb(*sa_, kA0, shaping(rate));
  set_htb(*sb_, kB0, shaping(rate));
  const auto a_before = get_link(*sa_, "va0");

  Transfer t = run_tcp_transfer(a_->fd(), b_->fd(), std::chrono::milliseconds(2500));
  ASSERT_EQ(t.receiver_error, "");
  ASSERT_EQ(t.sender_error, "");
  ASSERT_FALSE(t.samples.empty()) << "no data arrived";

  // Skip the first half second (slow start, htb's initial burst); measure 1.5 s of steady state.
  const double measured = t.goodput_bps(0.5, 2.0);
  const double expected = expected_goodput(rate);
  std::printf("goodput %.2f Mbit/s, expected %.2f Mbit/s\n", measured / 1e6, expected / 1e6);
  EXPECT_NEAR(measured, expected, expected * 0.05)
      << "goodput " << measured / 1e6 << " Mbit/s, expected " << expected / 1e6 << " Mbit/s ±5%";

  // The counters saw at least the payload go out of A and into B.
  const auto a_after = get_link(*sa_, "va0");
  const auto b_after = get_link(*sb_, "vb0");
  EXPECT_GE(a_after.tx_bytes - a_before.tx_bytes, t.total());
  EXPECT_GE(b_after.rx_bytes, t.total());
  EXPECT_GT(a_after.tx_packets, a_before.tx_packets);  // GSO: one count per super-packet, not per segment
  EXPECT_GT(a_after.rx_packets, 0u) << "no ACKs came back";
}

TEST_F(TrafficTest, ChangeHtbRateTakesEffectWhileTrafficFlows) {
  const std::uint64_t fast = 100'000'000, slow = 50'000'000;
  set_htb(*sa_, kA0, shaping(fast));
  set_htb(*sb_, kB0, shaping(fast));

  std::string change_error;
  Transfer t = run_tcp_transfer(a_->fd(), b_->fd(), std::chrono::milliseconds(3000), [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1300));
    try {
      change_htb_rate(*sa_, kA0, shaping(slow));
    } catch (const std::exception& e) {
      change_error = e.what();
    }
  });
  ASSERT_EQ(change_error, "");
  ASSERT_EQ(t.receiver_error, "");
  ASSERT_EQ(t.sender_error, "");

  const double before = t.goodput_bps(0.4, 1.1);
  const double after = t.goodput_bps(1.8, 2.7);
  std::printf("goodput %.2f Mbit/s before, %.2f Mbit/s after the change\n", before / 1e6, after / 1e6);
  EXPECT_NEAR(before, expected_goodput(fast), expected_goodput(fast) * 0.05) << before / 1e6 << " Mbit/s before the change";
  EXPECT_NEAR(after, expected_goodput(slow), expected_goodput(slow) * 0.05) << after / 1e6 << " Mbit/s after the change";
}

}  // namespace
}  // namespace scalelab::nl
