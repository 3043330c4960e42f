#include "emulator/runtime/capacity.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "emulator/locations/locations.h"
#include "emulator/netlink/addresses.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/route_socket.h"

namespace scalelab::runtime {
namespace {

using Clock = std::chrono::steady_clock;

// One stream: a sender namespace and a receiver namespace joined by an unshaped veth.
struct StreamPair {
  nl::NamedNetns sender, receiver;
  std::string receiver_address;
};

StreamPair make_pair(int index) {
  std::string stem = "sl-capacity-" + std::to_string(getpid()) + "-" + std::to_string(index);
  StreamPair p{nl::NamedNetns::create(stem + "a"), nl::NamedNetns::create(stem + "b"), ""};
  nl::RouteSocket a(p.sender.fd()), b(p.receiver.fd());
  nl::create_veth(a, {"cap0", 2, 9000, 0}, p.receiver.fd(), {"cap0", 2, 9000, 0});
  nl::set_link_up(b, 2, true);
  nl::set_link_up(a, 1, true);
  nl::set_link_up(b, 1, true);
  nl::add_address(a, 2, "198.18.255." + std::to_string(4 * index + 1) + "/30");
  nl::add_address(b, 2, "198.18.255." + std::to_string(4 * index + 2) + "/30");
  p.receiver_address = "198.18.255." + std::to_string(4 * index + 2);
  return p;
}

}  // namespace

Capacity measure_capacity(double seconds, int streams) {
  streams = std::clamp(streams, 1, 32);
  std::vector<StreamPair> pairs;
  for (int i = 0; i < streams; ++i) pairs.push_back(make_pair(i));

  std::atomic<std::uint64_t> received{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const auto warmup = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  const auto end = start + warmup + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (auto& p : pairs) {
    int listener;
    {
      nl::ThreadNetnsGuard inside(p.receiver.fd());
      listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(5400);
    inet_pton(AF_INET, p.receiver_address.c_str(), &addr.sin_addr);
    bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(listener, 1);
    threads.emplace_back([&, listener] {
      int conn = accept(listener, nullptr, nullptr);
      timeval tv{0, 100'000};
      setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::vector<char> buf(1 << 18);
      while (Clock::now() < end) {
        ssize_t n = recv(conn, buf.data(), buf.size(), 0);
        if (n == 0) break;
        if (n > 0 && Clock::now() >= start + warmup) received += n;
      }
      stop = true;
      close(conn);
      close(listener);
    });
    threads.emplace_back([&, addr, fd = p.sender.fd()] {
      int s;
      {
        nl::ThreadNetnsGuard inside(fd);
        s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      }
      if (connect(s, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) {
        std::vector<char> chunk(1 << 18, 'x');
        while (!stop && Clock::now() < end)
          if (send(s, chunk.data(), chunk.size(), MSG_NOSIGNAL) <= 0) break;
      }
      close(s);
    });
  }
  for (auto& t : threads) t.join();

  Capacity c;
  c.seconds = seconds;
  c.streams = streams;
  c.veth_bps = static_cast<std::uint64_t>(received.load() * 8.0 / seconds);
  std::time_t now = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  c.measured_at = buf;
  return c;  // the pairs' destructors remove the scratch namespaces
}

void store_capacity(const Capacity& c, const std::string& given) {
  const std::string path = given.empty() ? locations::capacity_file() : given;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << nlohmann::json{{"veth_bps", c.veth_bps}, {"streams", c.streams}, {"seconds", c.seconds}, {"measured_at", c.measured_at}}.dump(2)
                      << "\n";
}

std::optional<Capacity> load_capacity(const std::string& given) {
  const std::string path = given.empty() ? locations::capacity_file() : given;
  std::ifstream in(path);
  if (!in) return given.empty() && locations::rootless() ? load_capacity(kSystemCapacityFile) : std::nullopt;
  try {
    auto j = nlohmann::json::parse(in);
    return Capacity{j.at("veth_bps"), j.value("streams", 0), j.value("seconds", 0.0), j.value("measured_at", "")};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::uint64_t aggregate_demand_bps(const model::Topology& topology, double dilation) {
  struct Fastest {
    std::uint64_t bps = 0;
    int veths = 0;  // veths a message over that link crosses: 1 to a GPU, 2 through a switch
  };
  std::map<std::string, Fastest> fastest;
  for (const auto& l : topology.links) {
    for (const auto& [end, other] : {std::pair{l.a, l.b}, std::pair{l.b, l.a}}) {
      const auto* n = topology.find(end);
      if (!n || n->kind != model::NodeKind::gpu) continue;
      const auto* peer = topology.find(other);
      auto& f = fastest[end];
      if (l.params.bandwidth_bps > f.bps) f = {l.params.bandwidth_bps, peer && peer->kind == model::NodeKind::gpu ? 1 : 2};
    }
  }
  double total = 0;
  for (const auto& [gpu, f] : fastest) total += double(f.bps) * f.veths / dilation;
  return static_cast<std::uint64_t>(total);
}

double auto_dilation(const model::Topology& topology, std::uint64_t capacity_bps) {
  static constexpr double steps[] = {1, 2, 5};
  for (double decade = 1; decade < 1e12; decade *= 10)
    for (double step : steps)
      if (aggregate_demand_bps(topology, decade * step) <= capacity_bps / 2) return decade * step;
  return 1e12;
}

}  // namespace scalelab::runtime
