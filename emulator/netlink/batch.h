#pragma once
// Many rtnetlink requests on one socket sent in one sendmsg() before their acks are read, as
// `ip -batch` would if it pipelined: a bring-up's hundreds of small requests per namespace then
// cost a few system calls instead of two each. The kernel handles the requests of one send in
// order, so a request may rely on the ones queued before it (a link, then its address).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "emulator/netlink/route_socket.h"

struct nl_msg;

namespace scalelab::nl {

class RequestBatch {
 public:
  // Up to `max_in_flight` requests are sent together (their acks must fit the receive buffer).
  explicit RequestBatch(RouteSocket& socket, std::size_t max_in_flight = 128);
  RequestBatch(const RequestBatch&) = delete;
  RequestBatch& operator=(const RequestBatch&) = delete;
  ~RequestBatch() = default;  // requests not yet flushed are dropped, never sent

  // Queues a request built by libnl (rtnl_*_build_*_request); takes ownership of msg. May send
  // the queue (and throw, as flush does) when it is full.
  void add(nl_msg* msg, std::string what);
  // Sends what is queued and reads every ack. Throws NetlinkError naming the first request the
  // kernel refused (the later ones were still handled, and their errors are not reported).
  void flush();
  std::size_t requests() const { return total_; }  // queued since construction

 private:
  RouteSocket& socket_;
  std::size_t max_in_flight_;
  std::vector<char> out_;
  std::vector<std::string> what_;  // per queued request, in order
  std::uint32_t first_seq_ = 0, next_seq_;
  std::size_t total_ = 0;
};

}  // namespace scalelab::nl
