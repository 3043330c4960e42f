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
#include <cstdlib>
#include <cstring>
#include <map>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "transport/tcp/tcp_connect.h"

namespace scalelab::agent {

namespace {

constexpr std::size_t kMaxIoPerPass = 8 << 20;
constexpr std::size_t kStagingRead = 1 << 20;

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool parse_ipv4(const std::string& s, in_addr& out) { return ::inet_pton(AF_INET, s.c_str(), &out) == 1; }

// The port a socket is bound to, or -1 when it is not a listening TCP socket.
int listening_port(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) return -1;
  sockaddr_in a{};
  len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0 || a.sin_family != AF_INET) return -1;
  return ntohs(a.sin_port);
}

}  // namespace

int inherited_listen_fd() {
  const char* v = std::getenv("SCALELAB_TCP_LISTEN_FD");
  if (!v || !*v) return -1;
  char* end = nullptr;
  const long fd = std::strtol(v, &end, 10);
  if (*end != '\0' || fd < 0 || fd > 1 << 20)
    throw std::runtime_error(fmt::format("SCALELAB_TCP_LISTEN_FD={} is not a descriptor number", v));
  return static_cast<int>(fd);
}

TcpTransport::TcpTransport(int rank, int world_size, TcpOptions opts)
    : rank_(rank), world_(world_size), opts_(std::move(opts)), chans_(world_size) {
  if (world_ <= 1) return;
  PeerRoute self{rank_, -1, Tier::scale_out, "*", opts_.listen_address, "", 0};
  const int port = opts_.base_port + rank_;
  if (opts_.listen_fd >= 0) {
    if (listening_port(opts_.listen_fd) != port)
      throw CollectiveError(self, "tcp",
                            fmt::format("the socket handed over as descriptor {} is not listening on port {} "
                                        "(base port {} + rank {})",
                                        opts_.listen_fd, port, opts_.base_port, rank_));
    listen_fd_ = opts_.listen_fd;
    ::fcntl(listen_fd_, F_SETFD, FD_CLOEXEC);  // no process this rank starts gets the port
    set_socket_buffers(listen_fd_, opts_.socket_buffer_bytes);
    set_nonblocking(listen_fd_);
    return;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw CollectiveError(self, "tcp", "socket(): " + errno_cause(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  set_socket_buffers(listen_fd_, opts_.socket_buffer_bytes);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (!parse_ipv4(opts_.listen_address, a.sin_addr)) {
    ::close(listen_fd_);
    throw CollectiveError(self, "tcp", "bad listen address " + opts_.listen_address);
  }
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 256) != 0) {
    const int e = errno;
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw CollectiveError(self, "tcp",
                          fmt::format("cannot listen on {}:{}: {}", opts_.listen_address, port,
                                      errno_cause(e)));
  }
  set_nonblocking(listen_fd_);
}

TcpTransport::~TcpTransport() { close(); }

void TcpTransport::connect(const std::vector<PeerRoute>& peers, Deadline deadline) {
  TcpConnections made = connect_tcp_peers(listen_fd_, rank_, world_, peers, opts_, deadline);
  redialled_ = made.redialled;
  for (auto& [peer, sockets] : made.peers) {
    auto c = std::make_unique<Chan>();
    c->send_fd = sockets.send_fd;
    c->recv_fd = sockets.recv_fd;
    for (const auto& r : peers)
      if (r.peer == peer) c->route = r;
    chans_[peer] = std::move(c);
  }
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
  if (c.recv_fd < 0 || c.eof || c.recv_err || !c.wire_err.empty()) return moved;
  std::size_t budget = kMaxIoPerPass;
  while (budget > 0) {
    ssize_t n;
    try {
      if (!c.recvs.empty() && c.reader.in_header()) {
        n = ::recv(c.recv_fd, c.reader.header_space(), c.reader.header_missing(), 0);
        if (n > 0) c.reader.header_bytes(static_cast<std::size_t>(n));
      } else if (!c.recvs.empty()) {  // payload straight into the posted buffer
        auto& op = *c.recvs.front();
        const std::size_t want = static_cast<std::size_t>(
            std::min<uint64_t>(std::min(op.len - op.done, budget), c.reader.payload_left()));
        n = ::recv(c.recv_fd, op.buf + op.done, want, 0);
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
        n = ::recv(c.recv_fd, rbuf_.get(), std::min(kStagingRead, budget), 0);
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
    if (errno != EAGAIN && errno != EWOULDBLOCK) c.recv_err = errno;
    break;
  }
  return moved;
}

bool TcpTransport::write_chan(Chan& c) {
  if (c.send_fd < 0 || c.send_err) return false;
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
    ssize_t n = ::sendmsg(c.send_fd, &m, MSG_NOSIGNAL);
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
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.send_err = errno;
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
    if (c.send_err && !c.sends.empty())
      fail(c, fmt::format("{} on the connection sending to rank {}", errno_cause(c.send_err), c.route.peer));
    if (c.recv_err && !c.recvs.empty())
      fail(c, fmt::format("{} on the connection receiving from rank {}", errno_cause(c.recv_err), c.route.peer));
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
    if (!c->sends.empty()) moved |= write_chan(*c);
    if (!c->recvs.empty()) moved |= read_chan(*c);
  }
  return moved;
}

// Only channels with work posted are tried before the poll: a rank has two sockets per peer (tens
// at 1024 ranks), and a recv() on each idle one per wake-up was most of the agents' system time.
// Bytes arriving where nothing is posted are still staged at once: poll reports them.
void TcpTransport::progress(Millis max_block) {
  if (io_pass()) {
    check_failures();
    return;
  }
  check_failures();
  std::vector<pollfd> pfds;
  std::vector<std::pair<Chan*, bool>> owner;  // the channel of each pollfd; true: its send side
  for (auto& c : chans_) {
    if (!c) continue;
    if (c->recv_fd >= 0 && !c->eof && !c->recv_err) {
      pfds.push_back({c->recv_fd, POLLIN, 0});
      owner.emplace_back(c.get(), false);
    }
    if (c->send_fd >= 0 && !c->send_err && !c->sends.empty()) {
      pfds.push_back({c->send_fd, POLLOUT, 0});
      owner.emplace_back(c.get(), true);
    }
  }
  if (pfds.empty()) {
    if (max_block.count() > 0) std::this_thread::sleep_for(std::min(max_block, Millis(10)));
    return;
  }
  ::poll(pfds.data(), pfds.size(), static_cast<int>(max_block.count()));
  for (std::size_t i = 0; i < pfds.size(); ++i) {
    if (!pfds[i].revents) continue;
    auto [c, send_side] = owner[i];
    if (send_side)
      write_chan(*c);
    else
      read_chan(*c);
  }
  check_failures();
}

void TcpTransport::close() noexcept {
  for (auto& c : chans_) {
    if (!c) continue;
    for (int* fd : {&c->send_fd, &c->recv_fd})
      if (*fd >= 0) ::close(std::exchange(*fd, -1));
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
}

}  // namespace scalelab::agent
