#include "emulator/netlink/rdma_link.h"

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <rdma/rdma_netlink.h>

#include <memory>

#include "emulator/netlink/error.h"
#include "emulator/netlink/netns.h"

namespace scalelab::nl {
namespace {

using SockPtr = std::unique_ptr<nl_sock, void (*)(nl_sock*)>;
using MsgPtr = std::unique_ptr<nl_msg, void (*)(nl_msg*)>;

SockPtr rdma_socket(int netns_fd) {
  ThreadNetnsGuard inside(netns_fd);
  SockPtr sock(nl_socket_alloc(), nl_socket_free);
  check_nl(nl_connect(sock.get(), NETLINK_RDMA), "open RDMA netlink socket (kernel without CONFIG_INFINIBAND?)");
  return sock;
}

MsgPtr rdma_message(int command, int flags) {
  MsgPtr msg(nlmsg_alloc_simple(RDMA_NL_GET_TYPE(RDMA_NL_NLDEV, command), flags), nlmsg_free);
  if (!msg) throw NetlinkError("allocate RDMA netlink message", 0, "out of memory");
  return msg;
}

void send_and_ack(nl_sock* sock, nl_msg* msg, const std::string& what) {
  check_nl(nl_send_auto(sock, msg), what);
  check_nl(nl_wait_for_ack(sock), what);
}

int collect_device(nl_msg* msg, void* arg) {
  auto* out = static_cast<std::vector<RdmaDevice>*>(arg);
  nlattr* attrs[RDMA_NLDEV_ATTR_MAX + 1] = {};
  if (nlmsg_parse(nlmsg_hdr(msg), 0, attrs, RDMA_NLDEV_ATTR_MAX, nullptr) < 0) return NL_SKIP;
  if (attrs[RDMA_NLDEV_ATTR_DEV_INDEX] && attrs[RDMA_NLDEV_ATTR_DEV_NAME])
    out->push_back({static_cast<int>(nla_get_u32(attrs[RDMA_NLDEV_ATTR_DEV_INDEX])), nla_get_string(attrs[RDMA_NLDEV_ATTR_DEV_NAME])});
  return NL_OK;
}

}  // namespace

void create_rxe(int netns_fd, const std::string& rxe_name, const std::string& netdev) {
  auto sock = rdma_socket(netns_fd);
  // No NLM_F_CREATE/EXCL: RDMA netlink reads EXCL's bit as NLM_F_MATCH, i.e. a dump request.
  auto msg = rdma_message(RDMA_NLDEV_CMD_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  nla_put_string(msg.get(), RDMA_NLDEV_ATTR_DEV_NAME, rxe_name.c_str());
  nla_put_string(msg.get(), RDMA_NLDEV_ATTR_LINK_TYPE, "rxe");
  nla_put_string(msg.get(), RDMA_NLDEV_ATTR_NDEV_NAME, netdev.c_str());
  send_and_ack(sock.get(), msg.get(), "create rxe device " + rxe_name + " on " + netdev);
}

std::vector<RdmaDevice> list_rdma_devices(int netns_fd) {
  auto sock = rdma_socket(netns_fd);
  auto msg = rdma_message(RDMA_NLDEV_CMD_GET, NLM_F_REQUEST | NLM_F_DUMP);
  std::vector<RdmaDevice> devices;
  check_nl(nl_socket_modify_cb(sock.get(), NL_CB_VALID, NL_CB_CUSTOM, collect_device, &devices), "RDMA dump callback");
  check_nl(nl_send_auto(sock.get(), msg.get()), "dump RDMA devices");
  check_nl(nl_recvmsgs_default(sock.get()), "dump RDMA devices");
  return devices;
}

void delete_rxe(int netns_fd, const std::string& rxe_name) {
  for (const auto& dev : list_rdma_devices(netns_fd)) {
    if (dev.name != rxe_name) continue;
    auto sock = rdma_socket(netns_fd);
    auto msg = rdma_message(RDMA_NLDEV_CMD_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
    nla_put_u32(msg.get(), RDMA_NLDEV_ATTR_DEV_INDEX, dev.index);
    send_and_ack(sock.get(), msg.get(), "delete rxe device " + rxe_name);
  }
}

std::string rxe_device_name(const std::string& cluster, const std::string& node, const std::string& ifname) {
  std::string name = "sl" + cluster + "_" + node + "_" + ifname;
  return name.substr(0, 63);
}

}  // namespace scalelab::nl
