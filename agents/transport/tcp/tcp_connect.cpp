#include "transport/tcp/tcp_connect.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "transport/tcp/wire.h"

namespace scalelab::agent {

namespace {

constexpr const char* kTransport = "tcp";

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Writes all n bytes on a non-blocking fd before the deadline; returns 0 or an errno-like code.
int send_exact(int fd, const std::byte* p, std::size_t n, Deadline dl) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::send(fd, p + done, n - done, MSG_NOSIGNAL);
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    if (dl.expired()) return ETIMEDOUT;
    pollfd pfd{fd, POLLOUT, 0};
    ::poll(&pfd, 1, dl.poll_ms(100));
  }
  return 0;
}

// This rank's connection to one peer, from the first dial to the hello sent.
struct Dial {
  const PeerRoute* route;
  in_addr dst{};
  int fd = -1;                      // a connect in progress
  bool done = false;                // connected and the hello sent
  Clock::time_point next_try{};     // after a refusal: when to dial again
  int pause_ms = 10;                // grows to kMaxPauseMs while the peer refuses
  int last_err = 0;
  static constexpr int kMaxPauseMs = 500;
};

// A connection accepted on the listening socket, until its hello is complete.
struct Pending {
  int fd;
  sockaddr_in src;
  std::array<std::byte, wire::kHelloSize> hello{};
  std::size_t got = 0;
};

std::string address_of(const sockaddr_in& a) {
  char ip[INET_ADDRSTRLEN] = "?";
  ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
  return ip;
}

class Connector {
 public:
  Connector(int listen_fd, int rank, int world, const std::vector<PeerRoute>& peers, const TcpOptions& opts,
            Deadline dl)
      : listen_fd_(listen_fd), rank_(rank), world_(world), opts_(opts), dl_(dl) {
    for (const auto& r : peers) {
      if (r.peer == rank_ || r.peer < 0 || r.peer >= world_)
        throw std::logic_error(fmt::format("tcp: rank {} cannot be a peer of rank {} in a world of {}", r.peer, rank_,
                                           world_));
      Dial d{&r};
      if (::inet_pton(AF_INET, r.peer_address.c_str(), &d.dst) != 1)
        throw CollectiveError(r, kTransport, "bad peer address '" + r.peer_address + "'");
      dials_.push_back(d);
      expected_[r.peer] = &r;
    }
  }

  ~Connector() {
    for (auto& p : pending_) ::close(p.fd);
    for (auto& d : dials_)
      if (d.fd >= 0) ::close(d.fd);
    for (auto& [peer, s] : out_) {
      if (s.send_fd >= 0) ::close(s.send_fd);
      if (s.recv_fd >= 0) ::close(s.recv_fd);
    }
  }

  TcpConnections run() {
    while (dialled_ < dials_.size() || !expected_.empty()) {
      if (dl_.expired()) throw timeout();
      const int wait_ms = start_due_dials();
      std::vector<pollfd> pfds{{listen_fd_, POLLIN, 0}};
      for (auto& p : pending_) pfds.push_back({p.fd, POLLIN, 0});
      const std::size_t first_dial = pfds.size();
      std::vector<Dial*> polled;
      for (auto& d : dials_)
        if (d.fd >= 0) {
          pfds.push_back({d.fd, POLLOUT, 0});
          polled.push_back(&d);
        }
      ::poll(pfds.data(), pfds.size(), wait_ms);
      for (std::size_t i = 0; i < polled.size(); ++i)
        if (pfds[first_dial + i].revents) finish_dial(*polled[i]);
      if (pfds[0].revents & POLLIN) accept_all();
      read_hellos();
    }
    return {std::exchange(out_, {}), redialled_};
  }

 private:
  // Dials every peer whose pause is over; returns how long the poll may wait.
  int start_due_dials() {
    const auto now = Clock::now();
    int wait_ms = dl_.poll_ms(200);
    for (auto& d : dials_) {
      if (d.done || d.fd >= 0) continue;
      if (d.next_try > now) {
        wait_ms = std::min(wait_ms, static_cast<int>(std::chrono::duration_cast<Millis>(d.next_try - now).count()) + 1);
        continue;
      }
      start_dial(d);
      if (!d.done && d.fd < 0)  // refused at once: its next try bounds the wait
        wait_ms = std::min(wait_ms, static_cast<int>(std::chrono::duration_cast<Millis>(d.next_try - now).count()) + 1);
    }
    return wait_ms;
  }

  void start_dial(Dial& d) {
    const PeerRoute& r = *d.route;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw CollectiveError(r, kTransport, "socket(): " + errno_cause(errno));
    tune_tcp_socket(fd, opts_.socket_buffer_bytes);
    set_nonblocking(fd);
    in_addr src{};
    if (opts_.bind_source && ::inet_pton(AF_INET, r.local_address.c_str(), &src) == 1) {
      sockaddr_in la{};
      la.sin_family = AF_INET;
      la.sin_addr = src;
      if (::bind(fd, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0) return retry_later(d, fd, errno);
    }
    sockaddr_in pa{};
    pa.sin_family = AF_INET;
    pa.sin_addr = d.dst;
    pa.sin_port = htons(r.peer_port);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&pa), sizeof pa) == 0) {
      d.fd = fd;
      return send_hello(d);
    }
    if (errno != EINPROGRESS) return retry_later(d, fd, errno);
    d.fd = fd;
  }

  void finish_dial(Dial& d) {
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    ::getsockopt(d.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
    if (soerr != 0) {
      const int fd = std::exchange(d.fd, -1);
      return retry_later(d, fd, soerr);
    }
    send_hello(d);
  }

  void send_hello(Dial& d) {
    const auto h = wire::encode_hello(opts_.cluster, rank_, world_);
    if (const int e = send_exact(d.fd, h.data(), h.size(), dl_); e != 0) {
      const int fd = std::exchange(d.fd, -1);
      return retry_later(d, fd, e);
    }
    out_[d.route->peer].send_fd = std::exchange(d.fd, -1);
    d.done = true;
    ++dialled_;
  }

  void retry_later(Dial& d, int fd, int err) {
    ::close(fd);
    ++redialled_;
    d.last_err = err;
    d.next_try = Clock::now() + Millis(d.pause_ms);
    d.pause_ms = std::min(d.pause_ms * 2, Dial::kMaxPauseMs);
  }

  void accept_all() {
    while (true) {
      sockaddr_in src{};
      socklen_t sl = sizeof src;
      const int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&src), &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) return;
      tune_tcp_socket(fd, opts_.socket_buffer_bytes);
      pending_.push_back({fd, src});
    }
  }

  void read_hellos() {
    for (std::size_t i = 0; i < pending_.size();) {
      auto& p = pending_[i];
      const std::string ip = address_of(p.src);
      const std::string from = fmt::format("{}:{}", ip, ntohs(p.src.sin_port));
      const ssize_t n = ::recv(p.fd, p.hello.data() + p.got, p.hello.size() - p.got, 0);
      if (n > 0) p.got += static_cast<std::size_t>(n);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        last_dropped_ = fmt::format("a connection from {} closed after {} of the hello's {} bytes", from, p.got,
                                    wire::kHelloSize);
        drop_pending(i);
        continue;
      }
      if (p.got < p.hello.size()) {
        ++i;
        continue;
      }
      std::string rejected;
      int claimed = -1;
      try {
        claimed = static_cast<int>(wire::check_hello(p.hello.data(), opts_.cluster, rank_, world_).rank);
        auto it = expected_.find(claimed);
        if (it == expected_.end())
          rejected = fmt::format("claims rank {}, which is already connected (or not a peer of this rank)", claimed);
        else if (it->second->peer_address != ip)
          rejected = fmt::format("claims rank {}, whose address in the cluster's plan is {}: a connection from "
                                 "outside the plan",
                                 claimed, it->second->peer_address);
        else {
          out_[claimed].recv_fd = std::exchange(p.fd, -1);
          expected_.erase(it);
        }
      } catch (const wire::WireError& e) {
        rejected = e.what();
        claimed = -1;
      }
      if (!rejected.empty()) {
        // Named with the tier and interface connections arrive on (any expected peer's route).
        PeerRoute r = expected_.empty() ? *dials_.front().route : *expected_.begin()->second;
        r.peer = claimed;
        r.peer_address = ip;
        r.peer_port = ntohs(p.src.sin_port);
        throw CollectiveError(r, kTransport, fmt::format("rejected a connection from {}: {}", from, rejected));
      }
      drop_pending(i);
    }
  }

  void drop_pending(std::size_t i) {
    if (pending_[i].fd >= 0) ::close(pending_[i].fd);
    pending_.erase(pending_.begin() + static_cast<long>(i));
  }

  // Names the lowest peer still missing a connection, in either direction.
  CollectiveError timeout() {
    for (auto& p : pending_)  // a connection still owing its hello says more than a bare timeout
      last_dropped_ = fmt::format("a connection sent {} of the hello's {} bytes and then nothing", p.got,
                                  wire::kHelloSize);
    const Dial* dial = nullptr;
    for (auto& d : dials_)
      if (!d.done && (!dial || d.route->peer < dial->route->peer)) dial = &d;
    const int waited = expected_.empty() ? -1 : expected_.begin()->first;
    const long budget = dl_.budget().count();
    if (waited >= 0 && (!dial || waited <= dial->route->peer)) {
      const PeerRoute& r = *expected_.begin()->second;
      std::string msg = fmt::format("timeout after {} ms waiting for rank {} to connect to port {}{}", budget, r.peer,
                                    opts_.base_port + rank_, last_dropped_.empty() ? "" : " (" + last_dropped_ + ")");
      if (dial && dial->route->peer == r.peer)
        msg += fmt::format("; connecting to it at {}:{} failed too (last error: {})", r.peer_address, r.peer_port,
                           dial->last_err ? errno_cause(dial->last_err) : "none");
      return CollectiveError(r, kTransport, msg);
    }
    const PeerRoute& r = *dial->route;
    return CollectiveError(r, kTransport,
                           fmt::format("timeout after {} ms connecting to rank {} at {}:{} (last error: {})", budget,
                                       r.peer, r.peer_address, r.peer_port,
                                       dial->last_err ? errno_cause(dial->last_err) : "none"));
  }

  int listen_fd_, rank_, world_;
  const TcpOptions& opts_;
  Deadline dl_;
  std::vector<Dial> dials_;
  std::map<int, const PeerRoute*> expected_;  // peers whose connection to this rank has not arrived
  std::vector<Pending> pending_;
  std::string last_dropped_;  // a connection that closed before its hello was complete
  std::size_t dialled_ = 0;
  int redialled_ = 0;
  std::map<int, TcpPeerSockets> out_;
};

}  // namespace

void set_socket_buffers(int fd, int buffer_bytes) {
  if (buffer_bytes <= 0) return;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
}

void tune_tcp_socket(int fd, int buffer_bytes) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  set_socket_buffers(fd, buffer_bytes);
}

TcpConnections connect_tcp_peers(int listen_fd, int rank, int world, const std::vector<PeerRoute>& peers,
                                                const TcpOptions& opts, Deadline deadline) {
  return Connector(listen_fd, rank, world, peers, opts, deadline).run();
}

}  // namespace scalelab::agent
