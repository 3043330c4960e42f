#include "emulator/netlink/batch.h"

#include <linux/netlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>

#include "emulator/netlink/error.h"

namespace scalelab::nl {
namespace {

// Sequence numbers of their own, far from libnl's (which counts from the socket's creation
// time), so the socket's later libnl calls still see the numbers they expect.
std::atomic<std::uint32_t> batch_seq{0x40000000u};

#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

// The kernel's extended-ack text, when it gave one.
std::string extended_message(const nlmsghdr* h, const nlmsgerr* err) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS)) return "";
  std::size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) offset += err->msg.nlmsg_len - NLMSG_HDRLEN;
  const char* p = reinterpret_cast<const char*>(h) + NLMSG_ALIGN(offset);
  const char* end = reinterpret_cast<const char*>(h) + h->nlmsg_len;
  while (p + NLA_HDRLEN <= end) {
    auto* a = reinterpret_cast<const nlattr*>(p);
    if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end) break;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) return std::string(p + NLA_HDRLEN, strnlen(p + NLA_HDRLEN, a->nla_len - NLA_HDRLEN));
    p += NLA_ALIGN(a->nla_len);
  }
  return "";
}

}  // namespace

RequestBatch::RequestBatch(RouteSocket& socket, std::size_t max_in_flight)
    : socket_(socket), max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight), next_seq_(batch_seq.fetch_add(1u << 20)) {}

void RequestBatch::add(nl_msg* msg, std::string what) {
  nlmsghdr* h = nlmsg_hdr(msg);
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  if (what_.empty()) first_seq_ = next_seq_;
  h->nlmsg_seq = next_seq_++;
  h->nlmsg_pid = 0;
  const auto* bytes = reinterpret_cast<const char*>(h);
  out_.insert(out_.end(), bytes, bytes + NLMSG_ALIGN(h->nlmsg_len));
  nlmsg_free(msg);
  what_.push_back(std::move(what));
  ++total_;
  if (what_.size() >= max_in_flight_) flush();
}

void RequestBatch::flush() {
  if (what_.empty()) return;
  const int fd = nl_socket_get_fd(socket_.get());
  const std::size_t count = what_.size();
  auto what = std::move(what_);
  what_.clear();
  auto out = std::move(out_);
  out_.clear();

  ssize_t sent;
  do sent = ::send(fd, out.data(), out.size(), 0);
  while (sent < 0 && errno == EINTR);
  check_sys(sent < 0 ? -1 : 0, "send " + std::to_string(count) + " netlink requests (first: " + what.front() + ")");

  std::optional<NetlinkError> first_error;
  std::size_t first_failed = count;
  std::vector<char> in(64 * 1024);
  for (std::size_t acked = 0; acked < count;) {
    ssize_t got = ::recv(fd, in.data(), in.size(), 0);
    if (got < 0 && errno == EINTR) continue;
    check_sys(got < 0 ? -1 : 0, "read the acks of " + std::to_string(count) + " netlink requests (first: " + what.front() + ")");
    int len = static_cast<int>(got);
    for (auto* h = reinterpret_cast<nlmsghdr*>(in.data()); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      std::uint32_t index = h->nlmsg_seq - first_seq_;
      if (index >= count) continue;  // not one of these
      ++acked;
      auto* err = static_cast<nlmsgerr*>(NLMSG_DATA(h));
      if (err->error < 0 && index < first_failed) {
        first_failed = index;
        const int code = -err->error;
        std::string reason = std::strerror(code);
        if (auto extra = extended_message(h, err); !extra.empty()) reason += " (" + extra + ")";
        first_error.emplace(what[index], code, reason);
      }
    }
  }
  if (first_error) throw *first_error;
}

}  // namespace scalelab::nl
