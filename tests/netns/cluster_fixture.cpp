#include "cluster_fixture.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>

#include "emulator/netlink/links.h"
#include "emulator/netlink/netns.h"
#include "emulator/netlink/route_socket.h"
#include "emulator/runtime/realize.h"
#include "emulator/runtime/teardown.h"

namespace scalelab::fixtures {

std::string unique_cluster_name(const std::string& stem) {
  static int counter = 0;
  return stem + "-" + std::to_string(getpid() % 100000) + "-" + std::to_string(counter++);
}

model::Topology shipped_topology(const std::string& file) {
  return model::load_topology(std::string(SCALELAB_SOURCE_DIR) + "/topologies/" + file);
}

LiveCluster::LiveCluster(model::Topology topology) {
  topology.name = unique_cluster_name("t" + topology.name.substr(0, 6));
  plan_ = plan::build_plan(topology);
  runtime::realize(plan_, {});
}

LiveCluster::~LiveCluster() { runtime::down(plan_.cluster); }

const plan::Namespace& LiveCluster::node(const std::string& name) const {
  const auto* ns = plan_.find(name);
  if (!ns) throw std::runtime_error("no node " + name);
  return *ns;
}

std::string LiveCluster::address(const std::string& node_name, const std::string& ifname) const {
  for (const auto& i : node(node_name).interfaces)
    if (i.ifname == ifname) return i.address.substr(0, i.address.find('/'));
  throw std::runtime_error("no interface " + ifname + " on " + node_name);
}

CommandResult run_scalelab(const std::vector<std::string>& args) {
  std::string command = SCALELAB_BINARY;
  for (const auto& a : args) {
    std::string quoted;
    for (char c : a) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += " '" + quoted + "'";
  }
  command += " 2>&1";
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  std::array<char, 4096> buf;
  while (auto n = fread(buf.data(), 1, buf.size(), pipe.get())) result.output.append(buf.data(), n);
  int status = pclose(pipe.release());
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<std::string> host_interfaces() {
  nl::RouteSocket sock(-1);
  std::vector<std::string> names;
  for (const auto& l : nl::list_links(sock)) names.push_back(l.ifname);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> namespaces_of(const std::string& cluster) { return nl::list_named_netns("sl-" + cluster + "-"); }

}  // namespace scalelab::fixtures
