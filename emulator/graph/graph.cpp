#include "emulator/graph/graph.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "emulator/model/units.h"

namespace scalelab::graph {
namespace {

using model::NodeKind;
using model::Tier;

// Node names are [A-Za-z0-9_.-]; quote them anyway, and escape what DOT strings need.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {  // DOT's own line break
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* tier_colour(Tier t) { return t == Tier::scale_up ? kScaleUpColour : kScaleOutColour; }

std::string rate(std::uint64_t bps) { return model::format_bandwidth(bps); }
std::string duration(std::uint64_t ns) { return model::format_duration(ns); }

// Top to bottom: spines (routers), leaves (scale-out switches), gpus, scale-up switches. Each
// edge is written from the upper node to the lower one, which is what dot ranks by.
int level(NodeKind kind, bool scale_up_switch) {
  switch (kind) {
    case NodeKind::router: return 0;
    case NodeKind::switch_: return scale_up_switch ? 3 : 1;
    case NodeKind::gpu: return 2;
  }
  return 2;
}

}  // namespace

std::string topology_dot(const model::Topology& topology, const plan::Plan& plan) {
  return topology_dot(topology, plan, {}, "");
}

std::string topology_dot(const model::Topology& topology, const plan::Plan& plan, const std::map<std::string, GpuMark>& marks,
                         const std::string& legend) {
  const auto& nodes = topology.nodes;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) index[nodes[i].name] = i;

  // The tiers each node's links belong to, and the gpus a switch serves.
  std::vector<std::set<Tier>> tiers(nodes.size());
  std::vector<std::set<int>> hosts_served(nodes.size());
  std::vector<bool> only_gpu_peers(nodes.size(), true);
  for (const auto& l : topology.links) {
    const std::size_t a = index.at(l.a), b = index.at(l.b);
    tiers[a].insert(l.tier);
    tiers[b].insert(l.tier);
    for (auto [self, peer] : {std::pair{a, b}, std::pair{b, a}}) {
      if (nodes[peer].kind == NodeKind::gpu)
        hosts_served[self].insert(nodes[peer].host);
      else
        only_gpu_peers[self] = false;
    }
  }
  auto is_scale_up_switch = [&](std::size_t i) {
    return nodes[i].kind != NodeKind::gpu && tiers[i].size() == 1 && *tiers[i].begin() == Tier::scale_up;
  };

  // Where each node is drawn: in a host's cluster, in a domain's cluster (a scale-up switch of a
  // domain spanning hosts), or at top level.
  std::map<int, std::vector<std::size_t>> in_host;
  std::map<int, std::set<int>> hosts_of_domain;
  std::map<int, int> gpus_of_host;
  for (const auto& n : nodes)
    if (n.kind == NodeKind::gpu) {
      ++gpus_of_host[n.host];
      if (n.domain >= 0) hosts_of_domain[n.domain].insert(n.host);
    }
  // A domain gets its own cluster when it spans several hosts and holds each of them whole.
  std::map<int, int> domain_of_host;
  std::set<int> domain_clusters;
  for (const auto& [d, hs] : hosts_of_domain) {
    if (hs.size() < 2) continue;
    bool whole = true;
    for (int h : hs) {
      int in_d = 0;
      for (const auto& n : nodes) in_d += n.kind == NodeKind::gpu && n.host == h && n.domain == d;
      whole &= in_d == gpus_of_host[h];
    }
    if (!whole) continue;
    domain_clusters.insert(d);
    for (int h : hs) domain_of_host[h] = d;
  }
  std::map<int, std::vector<std::size_t>> in_domain;  // switches drawn in a domain cluster
  std::vector<std::size_t> top;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const auto& n = nodes[i];
    if (n.kind == NodeKind::gpu) {
      in_host[n.host].push_back(i);
    } else if (is_scale_up_switch(i) && only_gpu_peers[i] && hosts_served[i].size() == 1) {
      in_host[*hosts_served[i].begin()].push_back(i);
    } else if (is_scale_up_switch(i) && only_gpu_peers[i] && !hosts_served[i].empty() &&
               domain_of_host.count(*hosts_served[i].begin())) {
      const int d = domain_of_host[*hosts_served[i].begin()];
      bool same = true;
      for (int h : hosts_served[i]) same &= domain_of_host.count(h) && domain_of_host[h] == d;
      if (same)
        in_domain[d].push_back(i);
      else
        top.push_back(i);
    } else {
      top.push_back(i);
    }
  }

  std::map<std::string, const plan::Namespace*> ns_of;
  for (const auto& ns : plan.namespaces) ns_of[ns.node] = &ns;

  auto node_line = [&](std::size_t i) {
    const auto& n = nodes[i];
    if (n.kind == NodeKind::gpu) {
      const auto* ns = ns_of.count(n.name) ? ns_of[n.name] : nullptr;
      std::string tip = fmt::format("{}: gpu, rank {}, host {}, local rank {}, domain {}", n.name,
                                    ns ? ns->rank : -1, n.host, n.local_rank, n.domain);
      const auto mark = marks.find(n.name);
      if (mark == marks.end())
        return fmt::format("{} [shape=box, style=\"rounded,filled\", fillcolor=\"#fff8e1\", color=\"#8d6e63\", "
                           "tooltip={}];\n",
                           quoted(n.name), quoted(tip));
      tip += "; " + mark->second.tooltip;
      return fmt::format("{} [shape=box, style=\"rounded,filled\", fillcolor=\"{}\", color=\"#5d4037\", "
                         "label={}, tooltip={}];\n",
                         quoted(n.name), mark->second.fill, quoted(n.name + "\n" + mark->second.label), quoted(tip));
    }
    const char* colour = tiers[i].size() == 1 ? tier_colour(*tiers[i].begin()) : "#455a64";
    const bool router = n.kind == NodeKind::router;
    const std::string tip = fmt::format("{}: {} ({})", n.name, router ? "router (L3, ECMP)" : "switch (Linux bridge)",
                                        tiers[i].size() == 1 ? model::to_string(*tiers[i].begin()) : "both tiers");
    return fmt::format("{} [shape={}, style=filled, fillcolor=\"#ffffff\", color=\"{}\", penwidth=1.6, "
                       "tooltip={}];\n",
                       quoted(n.name), router ? "octagon" : "hexagon", colour, quoted(tip));
  };

  std::size_t gpu_count = 0;
  for (const auto& n : nodes) gpu_count += n.kind == NodeKind::gpu;
  std::string out;
  out += fmt::format("graph {} {{\n", quoted(topology.name));
  out += fmt::format(
      "  graph [fontname=\"Helvetica\", fontsize=14, labelloc=t, newrank=true, rankdir=TB, nodesep=0.2, "
      "ranksep=0.9, splines=true, label={}];\n",
      quoted(fmt::format("{}: {} GPUs in {} hosts, dilation {:g} (link labels: real rate → emulated rate){}",
                         topology.name, gpu_count, gpus_of_host.size(), plan.dilation, legend.empty() ? "" : "\n" + legend)));
  out += "  node [fontname=\"Helvetica\", fontsize=10, margin=\"0.06,0.03\", height=0.3];\n";
  out += "  edge [fontname=\"Helvetica\", fontsize=7, penwidth=1.4];\n";

  // Legend.
  out += fmt::format(
      "  legend [shape=plaintext, label=<<table border=\"0\" cellborder=\"0\" cellspacing=\"1\">"
      "<tr><td align=\"left\"><font color=\"{}\"><b>━━ scale_up</b></font> (NVLink-like)</td></tr>"
      "<tr><td align=\"left\"><font color=\"{}\"><b>━━ scale_out</b></font> (NICs, leaves, spines)</td></tr>"
      "<tr><td align=\"left\">box: gpu, hexagon: switch (bridge), octagon: router (ECMP)</td></tr>"
      "</table>>];\n",
      kScaleUpColour, kScaleOutColour);

  auto host_cluster = [&](int h, const std::string& indent) {
    std::string s = fmt::format("{}subgraph cluster_host{} {{\n", indent, h);
    s += fmt::format("{}  label=\"host {}\"; style=\"rounded\"; color=\"#9e9e9e\"; fontsize=10;\n", indent, h);
    for (std::size_t i : in_host[h]) s += indent + "  " + node_line(i);
    return s + indent + "}\n";
  };
  std::set<int> drawn;
  for (int d : domain_clusters) {
    const auto& hs = hosts_of_domain[d];
    out += fmt::format("  subgraph cluster_domain{} {{\n", d);
    out += fmt::format("    label=\"scale-up domain {} ({} hosts)\"; style=\"rounded,dashed\"; color=\"{}\"; fontsize=11;\n",
                       d, hs.size(), kScaleUpColour);
    for (std::size_t i : in_domain[d]) out += "    " + node_line(i);
    for (int h : hs) {
      out += host_cluster(h, "    ");
      drawn.insert(h);
    }
    out += "  }\n";
  }
  for (const auto& [h, members] : in_host)
    if (!drawn.count(h)) out += host_cluster(h, "  ");
  for (std::size_t i : top) out += "  " + node_line(i);

  // Same rank for the spines, and for the leaves: a fabric reads top-down.
  std::vector<std::string> routers, leaves;
  for (std::size_t i : top) {
    if (nodes[i].kind == NodeKind::router) routers.push_back(quoted(nodes[i].name));
    if (nodes[i].kind == NodeKind::switch_ && !is_scale_up_switch(i)) leaves.push_back(quoted(nodes[i].name));
  }
  // Invisible edges keep each row in name order (leaf0 leaf1 …, gpu0 gpu1 …).
  auto row = [&](const char* rank, const std::vector<std::string>& names) {
    if (names.empty()) return;
    out += fmt::format("  {{ rank={}; {};", rank, fmt::join(names, "; "));
    if (names.size() > 1) out += fmt::format(" {} [style=invis];", fmt::join(names, " -- "));
    out += " }\n";
  };
  row("min", routers);
  row("same", leaves);
  // GPUs: a host's GPUs side by side, hosts side by side. Past 32 GPUs that gets far too wide, so
  // each host becomes a column instead (its GPUs stacked by invisible edges).
  std::vector<std::string> first_row;
  for (const auto& [h, members] : in_host) {
    std::vector<std::string> gpus;
    for (std::size_t i : members)
      if (nodes[i].kind == NodeKind::gpu) gpus.push_back(quoted(nodes[i].name));
    if (gpus.empty()) continue;
    if (gpu_count <= 32) {
      first_row.insert(first_row.end(), gpus.begin(), gpus.end());
    } else {
      first_row.push_back(gpus.front());
      if (gpus.size() > 1) out += fmt::format("  {} [style=invis];\n", fmt::join(gpus, " -- "));
    }
  }
  row("same", first_row);

  // Links, with the plan's emulated figures for each direction.
  std::vector<const plan::VethPair*> veth_of(topology.links.size(), nullptr);
  for (const auto& v : plan.veths)
    if (v.link >= 0 && static_cast<std::size_t>(v.link) < veth_of.size()) veth_of[static_cast<std::size_t>(v.link)] = &v;
  for (std::size_t l = 0; l < topology.links.size(); ++l) {
    const auto& link = topology.links[l];
    std::size_t a = index.at(link.a), b = index.at(link.b);
    std::string emulated = "?", emulated_delay = "?";
    if (const plan::VethPair* v = veth_of[l]) {
      const auto& ea = plan.namespaces.at(v->a_ns).interfaces.at(v->a_if).egress;
      const auto& eb = plan.namespaces.at(v->b_ns).interfaces.at(v->b_if).egress;
      emulated = ea.rate_bps == eb.rate_bps ? rate(ea.rate_bps) : rate(ea.rate_bps) + " / " + rate(eb.rate_bps);
      emulated_delay = duration(ea.delay_ns);
    }
    const std::string label = fmt::format("{} → {}", rate(link.params.bandwidth_bps), emulated);
    const std::string tip = fmt::format("{} — {}: {}, {} → {} emulated, latency {} → {}, mtu {}", link.a, link.b,
                                        model::to_string(link.tier), rate(link.params.bandwidth_bps), emulated,
                                        duration(link.params.latency_ns), emulated_delay, link.params.mtu);
    if (level(nodes[b].kind, is_scale_up_switch(b)) < level(nodes[a].kind, is_scale_up_switch(a))) std::swap(a, b);
    // Big graphs: gpu links carry their label as an xlabel, placed after layout, so hundreds of
    // labels do not stretch the picture (dot drops the ones that would overlap; the tooltip stays).
    const bool gpu_link = nodes[a].kind == NodeKind::gpu || nodes[b].kind == NodeKind::gpu;
    out += fmt::format("  {} -- {} [color=\"{}\", fontcolor=\"{}\", {}={}, tooltip={}, class={}];\n",
                       quoted(nodes[a].name), quoted(nodes[b].name), tier_colour(link.tier), tier_colour(link.tier),
                       gpu_count > 32 && gpu_link ? "xlabel" : "label", quoted(label), quoted(tip),
                       quoted(model::to_string(link.tier)));
  }
  out += "}\n";
  return out;
}

bool dot_available() {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/bin:/bin";
  while (true) {
    const auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    if (dir.empty()) dir = ".";
    if (::access((dir + "/dot").c_str(), X_OK) == 0) return true;
    if (colon == std::string_view::npos) return false;
    rest.remove_prefix(colon + 1);
  }
}

void write_svg(const std::string& dot, const std::string& path) {
  if (!dot_available())
    throw std::runtime_error("graphviz's `dot` is not on PATH (apt-get install graphviz), so no SVG can be drawn; "
                             "--dot FILE writes the graph for another machine");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe: {}", std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(fds[0], STDIN_FILENO);  // dup2 clears O_CLOEXEC on the copy
    ::execlp("dot", "dot", "-Tsvg", "-o", path.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  // A dot that dies early must not kill us with SIGPIPE.
  struct sigaction ignore {}, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  std::size_t written = 0;
  bool write_failed = false;
  while (written < dot.size()) {
    const ssize_t n = ::write(fds[1], dot.data() + written, dot.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      write_failed = true;
      break;
    }
    written += static_cast<std::size_t>(n);
  }
  ::close(fds[1]);
  ::sigaction(SIGPIPE, &previous, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
    throw std::runtime_error("could not run graphviz's `dot`");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || write_failed)
    throw std::runtime_error(fmt::format("`dot -Tsvg -o {}` failed ({})", path,
                                         WIFEXITED(status) ? fmt::format("exit status {}", WEXITSTATUS(status))
                                                           : fmt::format("signal {}", WTERMSIG(status))));
}

}  // namespace scalelab::graph
