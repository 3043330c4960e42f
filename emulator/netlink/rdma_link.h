#pragma once
// Soft-RoCE (rxe) devices through RDMA netlink — what `rdma link add NAME type rxe netdev IF`
// does. libnl has no helper for NETLINK_RDMA, so messages are built with its generic API.
// Sent from inside the netdev's namespace: rxe (Linux >= 7.1) then binds its UDP/4791 socket
// and looks up routes there.
#include <string>
#include <vector>

namespace scalelab::nl {

void create_rxe(int netns_fd, const std::string& rxe_name, const std::string& netdev);
void delete_rxe(int netns_fd, const std::string& rxe_name);  // no-op when absent

struct RdmaDevice {
  int index = 0;
  std::string name;
};
// Devices visible from a namespace (in `shared` netns mode: all of them).
std::vector<RdmaDevice> list_rdma_devices(int netns_fd);

// A cluster-wide unique rxe name ("sl" + cluster + "_" + node + "_" + ifname, at most 63 chars).
std::string rxe_device_name(const std::string& cluster, const std::string& node, const std::string& ifname);

}  // namespace scalelab::nl
