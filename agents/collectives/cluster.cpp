#include "collectives/cluster.h"

#include "collectives/cluster_table.h"

#include <fstream>
#include <functional>
#include <limits>
#include <type_traits>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace scalelab::agent {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& origin, const std::string& ptr, const std::string& msg) {
  throw ClusterFileError(fmt::format("{}: {}: {}", origin, ptr.empty() ? "/" : ptr, msg));
}

template <typename T>
T get(const json& j, const char* key, const std::string& origin, const std::string& ptr, std::optional<T> dflt = {}) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    if (dflt) return *dflt;
    bad(origin, ptr + "/" + key, "missing");
  }
  if constexpr (std::is_integral_v<T>) {
    // Checked here: json's get<int>() of 3e22 (or of 2.5) is a float-to-int conversion, undefined
    // behaviour (found by fuzz/cluster_fuzz).
    const bool fits = (it->is_number_integer() && it->is_number_unsigned())
                          ? it->template get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<T>::max())
                          : it->is_number_integer() && it->template get<int64_t>() >= std::numeric_limits<T>::min() &&
                                it->template get<int64_t>() <= std::numeric_limits<T>::max();
    if (!fits)
      bad(origin, ptr + "/" + key,
          fmt::format("must be an integer in {}..{}, got {}", static_cast<int64_t>(std::numeric_limits<T>::min()),
                      static_cast<uint64_t>(std::numeric_limits<T>::max()), it->dump()));
  }
  try {
    return it->get<T>();
  } catch (const json::exception& e) {
    bad(origin, ptr + "/" + key, std::string("wrong type: ") + e.what());
  }
}

std::optional<Endpoint> endpoint(const json& r, const char* key, const std::string& origin, const std::string& ptr) {
  auto it = r.find(key);
  if (it == r.end() || it->is_null()) return std::nullopt;
  const std::string p = ptr + "/" + key;
  if (!it->is_object()) bad(origin, p, "must be an object or null");
  Endpoint e;
  e.ifname = get<std::string>(*it, "ifname", origin, p);
  e.address = get<std::string>(*it, "address", origin, p);
  e.leaf = get<std::string>(*it, "leaf", origin, p, std::string());
  return e;
}

std::optional<TierInfo> tier(const json& j, const char* key, const std::string& origin) {
  auto t = j.find("tiers");
  if (t == j.end() || !t->is_object()) return std::nullopt;
  auto it = t->find(key);
  if (it == t->end() || it->is_null()) return std::nullopt;
  const std::string p = std::string("/tiers/") + key;
  TierInfo ti;
  ti.bandwidth_bps = get<double>(*it, "bandwidth_bps", origin, p, 0.0);
  ti.latency_ns = get<double>(*it, "latency_ns", origin, p, 0.0);
  ti.emulated_bandwidth_bps = get<double>(*it, "emulated_bandwidth_bps", origin, p, 0.0);
  ti.emulated_latency_ns = get<double>(*it, "emulated_latency_ns", origin, p, 0.0);
  return ti;
}

}  // namespace

ClusterInfo parse_cluster(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (found by fuzz/)
    throw ClusterFileError(fmt::format("{}: not valid JSON: {}", origin, e.what()));
  }
  if (!j.is_object()) bad(origin, "", "must be an object");
  ClusterInfo c;
  c.name = get<std::string>(j, "name", origin, "", std::string());
  c.dilation = get<double>(j, "dilation", origin, "", 1.0);
  if (!(c.dilation > 0)) bad(origin, "/dilation", "must be > 0");
  const int bp = get<int>(j, "base_port", origin, "", 29500);
  if (bp <= 0 || bp > 65535) bad(origin, "/base_port", "must be a TCP port");
  c.base_port = static_cast<uint16_t>(bp);
  auto rit = j.find("ranks");
  if (rit == j.end() || !rit->is_array()) bad(origin, "/ranks", "missing or not an array");
  c.world_size = get<int>(j, "world_size", origin, "", static_cast<int>(rit->size()));
  if (c.world_size <= 0) bad(origin, "/world_size", "must be >= 1");
  if (static_cast<int>(rit->size()) != c.world_size)
    bad(origin, "/ranks", fmt::format("has {} entries but world_size is {}", rit->size(), c.world_size));
  if (bp + c.world_size - 1 > 65535) bad(origin, "/base_port", "base_port + world_size exceeds 65535");
  c.ranks.resize(c.world_size);
  std::vector<bool> seen(c.world_size, false);
  std::vector<std::size_t> index_of_rank(c.world_size);
  for (std::size_t i = 0; i < rit->size(); ++i) {
    const json& r = (*rit)[i];
    const std::string p = fmt::format("/ranks/{}", i);
    if (!r.is_object()) bad(origin, p, "must be an object");
    RankInfo ri;
    ri.rank = get<int>(r, "rank", origin, p);
    if (ri.rank < 0 || ri.rank >= c.world_size) bad(origin, p + "/rank", fmt::format("{} out of range", ri.rank));
    if (seen[ri.rank]) bad(origin, p + "/rank", fmt::format("duplicate rank {}", ri.rank));
    seen[ri.rank] = true;
    index_of_rank[ri.rank] = i;
    ri.node = get<std::string>(r, "node", origin, p, fmt::format("rank{}", ri.rank));
    ri.host = get<int>(r, "host", origin, p, -1);
    ri.local_rank = get<int>(r, "local_rank", origin, p, -1);
    ri.domain = get<int>(r, "domain", origin, p, -1);
    ri.netns = get<std::string>(r, "netns", origin, p, std::string());
    ri.scale_up = endpoint(r, "scale_up", origin, p);
    ri.scale_out = endpoint(r, "scale_out", origin, p);
    if (!ri.scale_up && !ri.scale_out && c.world_size > 1) bad(origin, p, "has neither scale_up nor scale_out");
    c.ranks[ri.rank] = std::move(ri);
  }
  c.scale_up = tier(j, "scale_up", origin);
  c.scale_out = tier(j, "scale_out", origin);
  check_every_pair_reachable(
      c, [&](int rank, const char* field) { return fmt::format("/ranks/{}/{}", index_of_rank.at(rank), field); }, origin);
  return c;
}

ClusterInfo parse_cluster_file_text(const std::string& text, const std::string& origin) {
  return is_cluster_table(text) ? parse_cluster_table(text, origin) : parse_cluster(text, origin);
}

ClusterInfo load_cluster_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw ClusterFileError(fmt::format("{}: cannot open", path));
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_cluster_file_text(ss.str(), path);
}

ClusterInfo make_inprocess_cluster(int n, int domain_size) {
  ClusterInfo c;
  c.name = "inprocess";
  c.world_size = n;
  c.ranks.resize(n);
  for (int r = 0; r < n; ++r) {
    RankInfo& ri = c.ranks[r];
    ri.rank = r;
    ri.node = fmt::format("thread{}", r);
    ri.domain = domain_size > 0 ? r / domain_size : -1;
    ri.host = domain_size > 0 ? ri.domain : r;
    ri.local_rank = domain_size > 0 ? r % domain_size : 0;
    if (domain_size > 0) ri.scale_up = Endpoint{"inproc", fmt::format("thread{}", r), ""};
    ri.scale_out = Endpoint{"inproc", fmt::format("thread{}", r), ""};
  }
  return c;
}

Tier tier_between(const ClusterInfo& c, int a, int b) {
  const auto& ra = c.ranks.at(a);
  const auto& rb = c.ranks.at(b);
  return (ra.domain >= 0 && ra.domain == rb.domain) ? Tier::scale_up : Tier::scale_out;
}

ClusterInfo sub_cluster(const ClusterInfo& c, const std::vector<int>& members, int port_offset) {
  const long base = static_cast<long>(c.base_port) + port_offset;
  if (port_offset < 0 || base + static_cast<long>(members.size()) > 65535)
    throw ClusterFileError(fmt::format("{}: a group of {} ranks at port offset {} needs ports past 65535; lower base_port",
                                       c.name, members.size(), port_offset));
  ClusterInfo sub = c;
  sub.base_port = static_cast<uint16_t>(base);
  sub.world_size = static_cast<int>(members.size());
  sub.ranks.clear();
  for (std::size_t i = 0; i < members.size(); ++i) {
    sub.ranks.push_back(c.ranks.at(members[i]));
    sub.ranks.back().rank = static_cast<int>(i);
  }
  return sub;
}

PeerRoute route_between(const ClusterInfo& c, int rank, int peer) {
  const auto& me = c.ranks.at(rank);
  const auto& them = c.ranks.at(peer);
  PeerRoute r;
  r.rank = rank;
  r.peer = peer;
  r.tier = tier_between(c, rank, peer);
  const auto& mine = r.tier == Tier::scale_up ? me.scale_up : me.scale_out;
  const auto& theirs = r.tier == Tier::scale_up ? them.scale_up : them.scale_out;
  if (!mine || !theirs) {
    throw ClusterFileError(fmt::format("{}: rank {} reaches rank {} over {}, but rank {} has no {} endpoint", c.name, rank,
                                       peer, tier_name(r.tier), !mine ? rank : peer, tier_name(r.tier)));
  }
  r.ifname = mine->ifname;
  r.local_address = mine->address;
  r.peer_address = theirs->address;
  r.peer_port = static_cast<uint16_t>(c.base_port + peer);
  return r;
}

std::vector<int> domains_of(const ClusterInfo& c) {
  std::vector<int> d(c.world_size, -1);
  for (const auto& r : c.ranks) d[r.rank] = r.domain;
  return d;
}

// Checked per rank, not per pair: each of 1024 agents parses the
// file, and 1 M route_between calls per agent cost about a second of CPU each, which at 1024
// ranks on 2 cores was most of the start-up.
void check_every_pair_reachable(const ClusterInfo& c, const RankLocation& where,
                                const std::string& origin) {
  std::map<int, std::vector<int>> members;  // domain -> ranks, ascending
  for (const auto& r : c.ranks)
    if (r.domain >= 0) members[r.domain].push_back(r.rank);
  for (const auto& r : c.ranks) {
    const std::vector<int>* mates = r.domain >= 0 ? &members.at(r.domain) : nullptr;
    const int domain_peers = mates ? static_cast<int>(mates->size()) - 1 : 0;
    if (domain_peers > 0 && !r.scale_up) {
      const int mate = mates->at(0) == r.rank ? mates->at(1) : mates->at(0);
      bad(origin, where(r.rank, "scale_up"),
          fmt::format("missing, but rank {} shares domain {} with rank {}, which it reaches over scale_up; give it a "
                      "scale_up endpoint or a domain of its own",
                      r.rank, r.domain, mate));
    }
    if (c.world_size - 1 - domain_peers > 0 && !r.scale_out) {
      int other = 0;
      while (other == r.rank || (r.domain >= 0 && c.ranks[other].domain == r.domain)) ++other;
      bad(origin, where(r.rank, "scale_out"),
          fmt::format("missing, but rank {} reaches rank {} (outside its scale-up domain) over scale_out; give it a "
                      "scale_out endpoint",
                      r.rank, other));
    }
  }
}


}  // namespace scalelab::agent
