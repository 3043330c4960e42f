#pragma once
// A NETLINK_ROUTE socket bound to one network namespace. A netlink socket acts in the namespace
// it was opened in, so once opened, any thread may configure that namespace through it without
// setns — which is what lets a bring-up configure many namespaces in parallel.
struct nl_sock;

namespace scalelab::nl {

class RouteSocket {
 public:
  explicit RouteSocket(int netns_fd);  // -1: the caller's current namespace
  RouteSocket(RouteSocket&& other) noexcept;
  RouteSocket& operator=(RouteSocket&&) = delete;
  RouteSocket(const RouteSocket&) = delete;
  RouteSocket& operator=(const RouteSocket&) = delete;
  ~RouteSocket();

  nl_sock* get() const { return sock_; }

 private:
  nl_sock* sock_ = nullptr;
};

}  // namespace scalelab::nl
