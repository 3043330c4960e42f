#include "emulator/netlink/capabilities.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "emulator/locations/locations.h"
#include "emulator/netlink/error.h"
#include "emulator/netlink/links.h"
#include "emulator/netlink/qdiscs.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/netlink/rps.h"
#include "emulator/netlink/vxlan.h"

#ifndef NETLINK_RDMA
#define NETLINK_RDMA 20
#endif

namespace scalelab::nl {

const Capability* KernelCapabilities::find(const std::string& name) const {
  for (const auto& c : items)
    if (c.name == name) return &c;
  return nullptr;
}

bool KernelCapabilities::has(const std::string& name) const {
  const auto* c = find(name);
  return c && c->available;
}

bool kernel_at_least(const std::string& release, int major, int minor) {
  int a = 0, b = 0;
  if (std::sscanf(release.c_str(), "%d.%d", &a, &b) != 2) return false;
  return a > major || (a == major && b >= minor);
}

namespace {

Capability attempt(const std::string& name, bool required, const std::function<std::string()>& body) {
  Capability c{name, false, "", required};
  try {
    c.detail = body();
    c.available = true;
  } catch (const std::exception& e) {
    c.detail = e.what();
  }
  return c;
}

void probe_in_scratch_namespace(KernelCapabilities& caps) {
  // A thread of its own unshares, so this process's other threads never change namespace.
  std::thread worker([&caps] {
    if (unshare(CLONE_NEWNET) < 0) {
      caps.items.push_back({"netns", false, std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno) + " (needs root)", true});
      return;
    }
    caps.items.push_back({"netns", true, "network namespaces", true});
    RouteSocket sock(-1);
    int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    caps.items.push_back(attempt("veth", true, [&] {
      create_veth(sock, {"probe0", 10, 1500, 0}, self, {"probe1", 11, 1500, 0});
      return std::string("veth pairs across namespaces");
    }));
    caps.items.push_back(attempt("bridge", true, [&] {
      create_bridge(sock, "probebr", 12, 1500);
      return std::string("Linux bridges");
    }));
    caps.items.push_back(attempt("htb", true, [&] {
      set_htb(sock, 10, {100'000'000, 12500, 1514, 1500});
      return std::string("sch_htb rate shaping");
    }));
    caps.items.push_back(attempt("netem", false, [&] {
      set_netem(sock, 10, {1'000'000, 0, 0.0, 1000});
      return std::string("sch_netem delay/jitter/loss");
    }));
    caps.items.push_back(attempt("vxlan", false, [&] {
      create_vxlan(sock, {"probevx", 13, 1450, 4095, "127.0.0.1", "127.0.0.2", 0, kVxlanPort}, self);
      return std::string("VXLAN link ends, for a cluster across machines (up --machines)");
    }));
    caps.items.push_back(attempt("rps", false, [&] {
      if (!has_rps_default_mask(self))
        throw std::runtime_error(
            "no per-namespace net.core.rps_default_mask (Linux < 6.5 or no CONFIG_RPS): a flow through veth can be "
            "reordered between two CPUs' backlogs; TCP copes, rxe RC queue pairs NAK and can exhaust their retries");
      return std::string("per-flow receive steering (net.core.rps_default_mask), so no flow is reordered");
    }));
    ::close(self);
  });
  worker.join();
}

Capability probe_rxe(const std::string& release) {
  Capability c{"rxe-in-netns", false, "", false};
  if (locations::rootless()) {
    c.detail = "rootless: rxe devices are added in the host's network namespace (rdma link add), which needs real root";
    return c;
  }
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_RDMA);
  if (fd < 0) {
    c.detail = "no RDMA netlink (kernel built without CONFIG_INFINIBAND or ib_core not loadable)";
    return c;
  }
  ::close(fd);
  struct stat st;
  bool module = stat("/sys/module/rdma_rxe", &st) == 0;
  if (!module) {
    std::string dir = "/lib/modules/" + release + "/kernel/drivers/infiniband/sw/rxe";
    module = stat(dir.c_str(), &st) == 0;
  }
  if (!module) {
    c.detail = "RDMA core present but no rdma_rxe module";
    return c;
  }
  if (!kernel_at_least(release, 7, 1)) {
    c.detail = "rdma_rxe present, but before Linux 7.1 rxe binds its UDP socket and routes in the host namespace only";
    return c;
  }
  c.available = true;
  c.detail = "soft-RoCE (rdma_rxe) with per-namespace sockets";
  return c;
}

}  // namespace

KernelCapabilities probe_kernel_capabilities() {
  KernelCapabilities caps;
  utsname u{};
  uname(&u);
  caps.kernel_release = u.release;
  probe_in_scratch_namespace(caps);
  caps.items.push_back(probe_rxe(caps.kernel_release));
  return caps;
}

}  // namespace scalelab::nl
