#include "emulator/process/listening_port.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "emulator/netlink/netns.h"

namespace scalelab::process {

namespace {

// The agents' socket buffers (agents/transport/tcp/tcp_options.h): accepted sockets inherit the
// listener's, and the window scale is fixed at the SYN.
constexpr int kAgentSocketBuffer = 4 << 20;

[[noreturn]] void fail(const std::string& where, uint16_t port, const char* step, int err) {
  throw std::runtime_error("cannot listen on the agent port " + std::to_string(port) + " in " + where + ": " + step +
                           ": " + std::strerror(err));
}

}  // namespace

ListeningPort::ListeningPort(const std::string& netns_path, uint16_t port) : port_(port) {
  const int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (ns < 0) fail(netns_path, port, "open", errno);
  {
    nl::ThreadNetnsGuard inside(ns);  // the socket belongs to the namespace it is made in
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  }
  const int e = errno;
  ::close(ns);
  if (fd_ < 0) fail(netns_path, port, "socket", e);
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  const int buf = kAgentSocketBuffer;
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    close();
    fail(netns_path, port, "bind", err);
  }
  if (::listen(fd_, 256) != 0) {
    const int err = errno;
    close();
    fail(netns_path, port, "listen", err);
  }
}

ListeningPort::~ListeningPort() { close(); }

ListeningPort::ListeningPort(ListeningPort&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), port_(other.port_) {}

ListeningPort& ListeningPort::operator=(ListeningPort&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    port_ = other.port_;
  }
  return *this;
}

void ListeningPort::close() noexcept {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
}

}  // namespace scalelab::process
