#include "emulator/plan/routing.h"

#include <deque>
#include <limits>

namespace scalelab::plan {

std::vector<std::vector<Route>> compute_routes(const std::vector<L3Node>& nodes, const std::vector<Subnet>& subnets,
                                               const std::vector<bool>& destinations) {
  // Who is attached to each segment: (node, attachment index).
  std::vector<std::vector<std::pair<std::size_t, std::size_t>>> attached(subnets.size());
  for (std::size_t n = 0; n < nodes.size(); ++n)
    for (std::size_t a = 0; a < nodes[n].attachments.size(); ++a) attached[nodes[n].attachments[a].segment].push_back({n, a});

  constexpr int kUnreachable = std::numeric_limits<int>::max();
  std::vector<std::vector<Route>> routes(nodes.size());
  std::vector<int> distance(nodes.size());

  for (std::size_t dest = 0; dest < subnets.size(); ++dest) {
    if (!destinations[dest]) continue;
    // Breadth-first over forwarders, outward from the destination segment.
    std::fill(distance.begin(), distance.end(), kUnreachable);
    std::deque<std::size_t> queue;
    for (auto [n, a] : attached[dest]) {
      if (nodes[n].forwarder && distance[n] != 0) {
        distance[n] = 0;
        queue.push_back(n);
      }
    }
    while (!queue.empty()) {
      std::size_t u = queue.front();
      queue.pop_front();
      for (const auto& att : nodes[u].attachments)
        for (auto [w, _] : attached[att.segment])
          if (nodes[w].forwarder && distance[w] == kUnreachable) {
            distance[w] = distance[u] + 1;
            queue.push_back(w);
          }
    }

    // Per segment, the forwarders nearest the destination, in attachment order: a node's next
    // hops are those of its segments' lists (scanning every member of every segment for every
    // node is quadratic in the size of a rail segment).
    std::vector<int> seg_best(subnets.size(), kUnreachable);
    std::vector<std::vector<std::pair<std::size_t, std::size_t>>> seg_nearest(subnets.size());
    for (std::size_t s = 0; s < subnets.size(); ++s)
      for (auto [w, wa] : attached[s]) {
        if (!nodes[w].forwarder || distance[w] == kUnreachable) continue;
        if (distance[w] < seg_best[s]) seg_best[s] = distance[w], seg_nearest[s].clear();
        if (distance[w] == seg_best[s]) seg_nearest[s].push_back({w, wa});
      }

    for (std::size_t v = 0; v < nodes.size(); ++v) {
      bool directly_attached = false;
      for (const auto& att : nodes[v].attachments) directly_attached |= att.segment == dest;
      if (directly_attached) continue;

      int best = kUnreachable;
      std::vector<Nexthop> hops;
      auto consider = [&](const L3Attachment& att, std::size_t w, std::size_t wa) {
        if (w == v || !nodes[w].forwarder || distance[w] == kUnreachable) return;
        if (distance[w] < best) {
          best = distance[w];
          hops.clear();
        }
        if (distance[w] == best) hops.push_back({ipv4_to_string(nodes[w].attachments[wa].address), att.ifname, att.ifindex});
      };
      for (const auto& att : nodes[v].attachments) {
        const auto& nearest = seg_nearest[att.segment];
        // v itself the only nearest forwarder there: the next nearest count, so look at them all.
        if (nearest.size() == 1 && nearest.front().first == v) {
          for (auto [w, wa] : attached[att.segment]) consider(att, w, wa);
          continue;
        }
        for (auto [w, wa] : nearest) consider(att, w, wa);
      }
      if (!hops.empty()) routes[v].push_back({subnets[dest].to_string(), std::move(hops)});
    }
  }
  return routes;
}

}  // namespace scalelab::plan
