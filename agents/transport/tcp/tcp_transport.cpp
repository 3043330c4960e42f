#include "transport/tcp/tcp_transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include <fmt/format.h>

namespace scalelab::agent {

namespace {

constexpr std::size_t kMaxIoPerPass = 8 << 20;
constexpr std::size_t kStagingRead = 1 << 20;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void tune(int fd, int bufbytes) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (bufbytes > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufbytes, sizeof bufbytes);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufbytes, sizeof bufbytes);
  }
}

bool parse_ipv4(const std::string& s, in_addr& out) { return ::inet_pton(AF_INET, s.c_str(), &out) == 1; }

// Write/read exactly n bytes on a non-blocking fd before the deadline; returns errno-like code or ETIMEDOUT.
int io_exact(int fd, void* buf, std::size_t n, bool write, Deadline dl) {
  auto* p = static_cast<std::byte*>(buf);
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = write ? ::send(fd, p + done, n - done, MSG_NOSIGNAL) : ::recv(fd, p + done, n - done, 0);
    if (r > 0) {
      done += static_cast<std::size_t>(r);
      continue;
    }
    if (r == 0) return ECONNRESET;  // EOF during handshake
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    pollfd pfd{fd, static_cast<short>(write ? POLLOUT : POLLIN), 0};
    if (dl.expired()) return ETIMEDOUT;
    ::poll(&pfd, 1, dl.poll_ms(100));
  }
  return 0;
}

}  // namespace

TcpTransport::TcpTransport(int rank, int world_size, TcpOptions opts)
    : rank_(rank), world_(world_size), opts_(std::move(opts)), chans_(world_size) {
  if (world_ <= 1) return;
  PeerRoute self{rank_, -1, Tier::scale_out, "*", opts_.listen_address, "", 0};
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw CollectiveError(self, "tcp", "socket(): " + errno_cause(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Accepted sockets inherit the buffer sizes; setting them on the listener lets the window scale.
  if (opts_.socket_buffer_bytes > 0) {
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &opts_.socket_buffer_bytes, sizeof(int));
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_SNDBUF, &opts_.socket_buffer_bytes, sizeof(int));
  }
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(opts_.base_port + rank_));
  if (!parse_ipv4(opts_.listen_address, a.sin_addr)) {
    ::close(listen_fd_);
    throw CollectiveError(self, "tcp", "bad listen address " + opts_.listen_address);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 256) != 0) {
    const int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw CollectiveError(self, "tcp",
                          fmt::format("cannot listen on {}:{}: {}", opts_.listen_address, opts_.base_port + rank_,
                                      errno_cause(e)));
  }
  set_nonblocking(listen_fd_);
}

TcpTransport::~TcpTransport() { close(); }

void TcpTransport::connect(const std::vector<PeerRoute>& peers, Deadline deadline) {
  std::map<int, const PeerRoute*> expected;  // higher ranks that connect to us
  // 1. Connect to every lower-ranked peer, retrying until the deadline.
  for (const auto& r : peers) {
    if (r.peer > rank_) {
      expected[r.peer] = &r;
      continue;
    }
    in_addr dst{};
    if (!parse_ipv4(r.peer_address, dst)) throw CollectiveError(r, name(), "bad peer address '" + r.peer_address + "'");
    int last_err = 0;
    int fd = -1;
    // Back off while the peer is not listening yet: at 1024 ranks, fixed 50 ms retries from every
    // rank are 20 k refused connects a second through the fabric, slowing the very ranks awaited.
    int retry_ms = 10;
    while (true) {
      fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0) throw CollectiveError(r, name(), "socket(): " + errno_cause(errno));
      tune(fd, opts_.socket_buffer_bytes);
      set_nonblocking(fd);
      int rc = 0;
      in_addr src{};
      if (opts_.bind_source && parse_ipv4(r.local_address, src)) {
        sockaddr_in la{};
        la.sin_family = AF_INET;
        la.sin_addr = src;
        rc = ::bind(fd, reinterpret_cast<sockaddr*>(&la), sizeof la);
      }
      if (rc == 0) {
        sockaddr_in pa{};
        pa.sin_family = AF_INET;
        pa.sin_addr = dst;
        pa.sin_port = htons(r.peer_port);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&pa), sizeof pa);
        if (rc != 0 && errno == EINPROGRESS) {
          pollfd pfd{fd, POLLOUT, 0};
          int pr = ::poll(&pfd, 1, deadline.poll_ms());
          if (pr == 1) {
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            rc = soerr == 0 ? 0 : -1;
            errno = soerr;
          } else {
            rc = -1;
            errno = ETIMEDOUT;
          }
        }
      }
      if (rc == 0) {
        auto h = wire::encode_hello(opts_.cluster, rank_, world_);
        rc = io_exact(fd, h.data(), h.size(), true, deadline);
        if (rc == 0) break;
        errno = rc;
        rc = -1;
      }
      last_err = errno;
      ::close(fd);
      fd = -1;
      if (deadline.expired()) break;
      std::this_thread::sleep_for(Millis(std::min(retry_ms, deadline.poll_ms())));
      retry_ms = std::min(retry_ms * 2, 500);
      if (deadline.expired()) break;
    }
    if (fd < 0)
      throw CollectiveError(r, name(),
                            fmt::format("timeout after {} ms connecting to rank {} at {}:{} (last error: {})",
                                        deadline.budget().count(), r.peer, r.peer_address, r.peer_port,
                                        last_err ? errno_cause(last_err) : "none"));
    auto c = std::make_unique<Chan>();
    c->fd = fd;
    c->route = r;
    chans_[r.peer] = std::move(c);
  }
  // 2. Accept the higher-ranked peers; identify them by their hello, and end this rank with a named
  //    error on a connection that is not one of them (transport/tcp/wire.h says what a hello must be).
  struct Pending {
    int fd;
    std::array<std::byte, wire::kHelloSize> h;
    std::size_t got;
    sockaddr_in src;
  };
  std::vector<Pending> pending;
  std::string last_dropped;  // a connection that closed before its hello was complete
  auto close_pending = [&] {
    for (auto& p : pending) ::close(p.fd);
    pending.clear();
  };
  while (!expected.empty()) {
    if (deadline.expired()) {
      for (auto& p : pending)  // a connection still owing its hello says more than a bare timeout
        last_dropped = fmt::format("a connection sent {} of the hello's {} bytes and then nothing", p.got,
                                   wire::kHelloSize);
      close_pending();
      const PeerRoute& r = *expected.begin()->second;
      throw CollectiveError(r, name(),
                            fmt::format("timeout after {} ms waiting for rank {} to connect to port {}{}",
                                        deadline.budget().count(), r.peer, opts_.base_port + rank_,
                                        last_dropped.empty() ? "" : " (" + last_dropped + ")"));
    }
    std::vector<pollfd> pfds;
    pfds.push_back({listen_fd_, POLLIN, 0});
    for (auto& p : pending) pfds.push_back({p.fd, POLLIN, 0});
    ::poll(pfds.data(), pfds.size(), deadline.poll_ms(200));
    if (pfds[0].revents & POLLIN) {
      while (true) {
        sockaddr_in src{};
        socklen_t sl = sizeof src;
        int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&src), &sl, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;
        tune(fd, opts_.socket_buffer_bytes);
        pending.push_back({fd, {}, 0, src});
      }
    }
    for (std::size_t i = 0; i < pending.size();) {
      auto& p = pending[i];
      char ip[INET_ADDRSTRLEN] = "?";
      ::inet_ntop(AF_INET, &p.src.sin_addr, ip, sizeof ip);
      const std::string from = fmt::format("{}:{}", ip, ntohs(p.src.sin_port));
      ssize_t n = ::recv(p.fd, p.h.data() + p.got, p.h.size() - p.got, 0);
      if (n > 0) p.got += static_cast<std::size_t>(n);
      const bool dead = n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
      if (dead) {
        last_dropped = fmt::format("a connection from {} closed after {} of the hello's {} bytes", from, p.got,
                                   wire::kHelloSize);
        ::close(p.fd);
        pending.erase(pending.begin() + static_cast<long>(i));
        continue;
      }
      if (p.got == p.h.size()) {
        std::string rejected;
        int claimed = -1;
        try {
          claimed = static_cast<int>(wire::check_hello(p.h.data(), opts_.cluster, rank_, world_).rank);
          auto it = expected.find(claimed);
          if (it == expected.end())
            rejected = fmt::format("claims rank {}, which is already connected (or not a peer of this rank)", claimed);
          else if (it->second->peer_address != ip)
            rejected = fmt::format("claims rank {}, whose address in the cluster's plan is {}: a connection from "
                                   "outside the plan",
                                   claimed, it->second->peer_address);
          else {
            auto c = std::make_unique<Chan>();
            c->fd = p.fd;
            c->route = *it->second;
            chans_[claimed] = std::move(c);
            expected.erase(it);
          }
        } catch (const wire::WireError& e) {
          rejected = e.what();
          claimed = -1;
        }
        if (!rejected.empty()) {
          close_pending();
          PeerRoute r = *expected.begin()->second;  // the tier and interface connections arrive on
          r.peer = claimed;
          r.peer_address = ip;
          r.peer_port = ntohs(p.src.sin_port);
          throw CollectiveError(r, name(), fmt::format("rejected a connection from {}: {}", from, rejected));
        }
        pending.erase(pending.begin() + static_cast<long>(i));
        continue;
      }
      ++i;
    }
  }
  for (auto& p : pending) ::close(p.fd);
}

Request TcpTransport::isend(int peer, const void* buf, std::size_t len) {
  auto op = make_op(OpState::Kind::send, peer, buf, len);
  if (len == 0) return Request(op);
  auto& c = chans_.at(peer);
  if (!c) throw std::logic_error(fmt::format("tcp: no channel to rank {}", peer));
  c->sends.push_back(op);
  return Request(op);
}

Request TcpTransport::irecv(int peer, void* buf, std::size_t len) {
  auto op = make_op(OpState::Kind::recv, peer, buf, len);
  if (len == 0) return Request(op);
  auto& c = chans_.at(peer);
  if (!c) throw std::logic_error(fmt::format("tcp: no channel to rank {}", peer));
  c->recvs.push_back(op);
  drain_staging(*c);
  return Request(op);
}

bool TcpTransport::drain_staging(Chan& c) {
  const bool moved = drain_staged(c.staging, c.staging_head, c.recvs);
  // A long-lived partly consumed buffer is compacted so it cannot grow without bound.
  if (c.staging_head > (1u << 20) && c.staging_head * 2 > c.staging.size()) {
    c.staging.erase(c.staging.begin(), c.staging.begin() + static_cast<long>(c.staging_head));
    c.staging_head = 0;
  }
  return moved;
}

bool TcpTransport::read_chan(Chan& c) {
  bool moved = drain_staging(c);
  if (c.fd < 0 || c.eof || c.err || !c.wire_err.empty()) return moved;
  std::size_t budget = kMaxIoPerPass;
  while (budget > 0) {
    ssize_t n;
    try {
      if (!c.recvs.empty() && c.reader.in_header()) {
        n = ::recv(c.fd, c.reader.header_space(), c.reader.header_missing(), 0);
        if (n > 0) c.reader.header_bytes(static_cast<std::size_t>(n));
      } else if (!c.recvs.empty()) {  // payload straight into the posted buffer
        auto& op = *c.recvs.front();
        const std::size_t want = static_cast<std::size_t>(
            std::min<uint64_t>(std::min(op.len - op.done, budget), c.reader.payload_left()));
        n = ::recv(c.fd, op.buf + op.done, want, 0);
        if (n > 0) {
          c.reader.payload_bytes(static_cast<std::size_t>(n));
          op.done += static_cast<std::size_t>(n);
          if (op.done == op.len) {
            op.complete = true;
            c.recvs.pop_front();
          }
        }
      } else {  // nothing posted: stage eagerly so the sender never stalls on us
        if (!rbuf_) rbuf_ = std::make_unique<std::byte[]>(kStagingRead);
        n = ::recv(c.fd, rbuf_.get(), std::min(kStagingRead, budget), 0);
        if (n > 0) c.reader.feed(rbuf_.get(), static_cast<std::size_t>(n), c.staging);
        if (const std::size_t ahead = c.staging.size() - c.staging_head; ahead > opts_.max_staged_bytes) {
          c.wire_err = fmt::format("sent {} bytes ahead of this rank's posted receives, more than the {} a peer may: a runaway or "
                                   "hostile sender",
                                   ahead, opts_.max_staged_bytes);
          return true;
        }
      }
    } catch (const wire::WireError& e) {
      c.wire_err = e.what();
      return true;
    }
    if (n > 0) {
      moved = true;
      budget -= std::min(budget, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) {
      c.eof = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.err = errno;
    break;
  }
  return moved;
}

bool TcpTransport::write_chan(Chan& c) {
  if (c.fd < 0 || c.err) return false;
  bool moved = false;
  std::size_t budget = kMaxIoPerPass;
  while (!c.sends.empty() && budget > 0) {
    auto& op = *c.sends.front();
    if (c.out_hdr_left == 0 && c.out_frame_left == 0) {  // a new frame: at most kMaxFramePayload of this send
      c.out_frame_left = std::min<uint64_t>(op.len - op.done, wire::kMaxFramePayload);
      c.out_hdr = wire::encode_frame_header(c.out_frame_left);
      c.out_hdr_left = c.out_hdr.size();
    }
    iovec iov[2];
    int niov = 0;
    if (c.out_hdr_left > 0) iov[niov++] = {c.out_hdr.data() + (c.out_hdr.size() - c.out_hdr_left), c.out_hdr_left};
    iov[niov++] = {op.buf + op.done, static_cast<std::size_t>(std::min<uint64_t>(c.out_frame_left, budget))};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = static_cast<std::size_t>(niov);
    ssize_t n = ::sendmsg(c.fd, &m, MSG_NOSIGNAL);
    if (n > 0) {
      moved = true;
      std::size_t k = static_cast<std::size_t>(n);
      const std::size_t hdr = std::min(k, c.out_hdr_left);
      c.out_hdr_left -= hdr;
      k -= hdr;
      c.out_frame_left -= k;
      op.done += k;
      op.posted = op.done;
      budget -= std::min(budget, static_cast<std::size_t>(n));
      if (op.done == op.len) {
        op.complete = true;
        c.sends.pop_front();
      }
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.err = errno;
    break;
  }
  return moved;
}

void TcpTransport::fail(const Chan& c, const std::string& cause) { throw CollectiveError(c.route, name(), cause); }

void TcpTransport::check_failures() {
  for (auto& cp : chans_) {
    if (!cp) continue;
    Chan& c = *cp;
    if (!c.wire_err.empty()) fail(c, fmt::format("rank {} {}", c.route.peer, c.wire_err));
    if (c.err && (!c.sends.empty() || !c.recvs.empty()))
      fail(c, fmt::format("{} on connection to rank {}", errno_cause(c.err), c.route.peer));
    if (c.eof && !c.recvs.empty()) {
      const std::string where = c.reader.position();
      fail(c, fmt::format("peer rank {} closed the connection (EOF) with {} bytes still expected{}", c.route.peer,
                          c.recvs.front()->len - c.recvs.front()->done,
                          where.empty() ? "" : ", " + where + ": a truncated frame"));
    }
  }
}

bool TcpTransport::io_pass() {
  bool moved = false;
  for (auto& c : chans_) {
    if (!c) continue;
    moved |= write_chan(*c);
    moved |= read_chan(*c);
  }
  return moved;
}

void TcpTransport::progress(Millis max_block) {
  if (io_pass()) {
    check_failures();
    return;
  }
  check_failures();
  std::vector<pollfd> pfds;
  for (auto& c : chans_) {
    if (!c || c->fd < 0 || c->err) continue;
    short ev = 0;
    if (!c->eof) ev |= POLLIN;
    if (!c->sends.empty()) ev |= POLLOUT;
    if (ev) pfds.push_back({c->fd, ev, 0});
  }
  if (pfds.empty()) {
    if (max_block.count() > 0) std::this_thread::sleep_for(std::min(max_block, Millis(10)));
    return;
  }
  ::poll(pfds.data(), pfds.size(), static_cast<int>(max_block.count()));
  io_pass();
  check_failures();
}

void TcpTransport::close() noexcept {
  for (auto& c : chans_) {
    if (c && c->fd >= 0) {
      ::close(c->fd);
      c->fd = -1;
    }
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

}  // namespace scalelab::agent
