#pragma once
// The TCP transport on 127.0.0.1 for tests: free ports, a loopback cluster, ranks as threads.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "collectives/cluster.h"
#include "collectives/setup.h"

namespace scalelab::agent::testing {


inline bool port_free(int port) {
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

// A socket listening on 127.0.0.1:port (a rank's port taken before the rank starts, or a fake rank's).
inline int loopback_listener(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1:" + std::to_string(port));
  }
  return fd;
}

// A base port with n free ports after it (different per process and per call).
inline int free_base(int n) {
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

inline ClusterInfo loopback_cluster(int n, int base) {
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

inline ConnectOptions opts(int connect_ms, int step_ms) {
  ConnectOptions o;
  o.connect_timeout = Millis(connect_ms);
  o.comm.step_timeout = Millis(step_ms);
  o.comm.chunk_bytes = 256 << 10;
  return o;
}

// Runs body on the ranks of `c` except those in `absent`, each as a thread with its own TcpTransport.
inline std::vector<Outcome> run_tcp(const ClusterInfo& c, const ConnectOptions& o, const std::vector<int>& absent,
                                    const std::function<void(Comm&)>& body) {
  const int n = c.world_size;
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

inline std::vector<Outcome> run_tcp(int n, const ConnectOptions& o, const std::vector<int>& absent,
                                    const std::function<void(Comm&)>& body) {
  return run_tcp(loopback_cluster(n, free_base(n)), o, absent, body);
}

}  // namespace scalelab::agent::testing
