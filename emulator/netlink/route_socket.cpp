#include "emulator/netlink/route_socket.h"

#include <netlink/netlink.h>
#include <netlink/socket.h>

#include <optional>
#include <utility>

#include "emulator/netlink/error.h"
#include "emulator/netlink/netns.h"

namespace scalelab::nl {

RouteSocket::RouteSocket(int netns_fd) {
  std::optional<ThreadNetnsGuard> inside;
  if (netns_fd >= 0) inside.emplace(netns_fd);
  sock_ = nl_socket_alloc();
  if (!sock_) throw NetlinkError("allocate netlink socket", 0, "out of memory");
  int err = nl_connect(sock_, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sock_);
    sock_ = nullptr;
    check_nl(err, "connect NETLINK_ROUTE socket");
  }
  // Large buffers: a dump of a 1000-interface namespace must not overflow.
  nl_socket_set_buffer_size(sock_, 1 << 20, 1 << 20);
}

RouteSocket::RouteSocket(RouteSocket&& other) noexcept : sock_(std::exchange(other.sock_, nullptr)) {}

RouteSocket::~RouteSocket() {
  if (sock_) nl_socket_free(sock_);
}

}  // namespace scalelab::nl
