#include "collectives/cluster_table.h"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <vector>

#include <fmt/format.h>

namespace scalelab::agent {

namespace {

constexpr std::string_view kTablePrefix = "# scalelab cluster table v";

struct Reader {
  const std::string& origin;
  std::size_t line = 0;

  [[noreturn]] void bad(std::string_view field, const std::string& msg) const {
    throw ClusterFileError(fmt::format("{}: line {} ({}): {}", origin, line, field, msg));
  }

  template <typename T>
  T number(std::string_view text, std::string_view field) const {
    T v{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
      bad(field, fmt::format("\"{}\" is not {}", text, std::is_integral_v<T> ? "an integer in range" : "a number"));
    return v;
  }
};

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    const std::size_t tab = line.find('\t', start);
    out.push_back(line.substr(start, tab == std::string_view::npos ? std::string_view::npos : tab - start));
    if (tab == std::string_view::npos) return out;
    start = tab + 1;
  }
}

std::optional<Endpoint> endpoint(const Reader& rd, std::string_view tier, std::string_view ifname, std::string_view address,
                                 std::string_view leaf) {
  if (ifname.empty() && address.empty()) {
    if (!leaf.empty()) rd.bad(tier, "a leaf but no endpoint");
    return std::nullopt;
  }
  if (ifname.empty() || address.empty())
    rd.bad(tier, fmt::format("needs both an ifname and an address, got \"{}\" and \"{}\"", ifname, address));
  return Endpoint{std::string(ifname), std::string(address), std::string(leaf)};
}

struct ReadRank {
  RankInfo info;
  std::size_t line;
};

ReadRank read_rank(const Reader& rd, const std::vector<std::string_view>& f) {
  constexpr std::size_t kFields = 12;
  if (f.size() != kFields) rd.bad("rank", fmt::format("has {} fields, a rank line has {}", f.size(), kFields));
  RankInfo ri;
  ri.rank = rd.number<int>(f[1], "rank");
  ri.node = f[2].empty() ? fmt::format("rank{}", ri.rank) : std::string(f[2]);
  ri.host = rd.number<int>(f[3], "host");
  ri.local_rank = rd.number<int>(f[4], "local_rank");
  ri.domain = rd.number<int>(f[5], "domain");
  ri.netns = std::string(f[6]);
  ri.scale_up = endpoint(rd, "scale_up", f[7], f[8], {});
  ri.scale_out = endpoint(rd, "scale_out", f[9], f[10], f[11]);
  return {std::move(ri), rd.line};
}

TierInfo read_tier(const Reader& rd, const std::vector<std::string_view>& f) {
  if (f.size() != 6) rd.bad("tier", fmt::format("has {} fields, a tier line has 6", f.size()));
  return {rd.number<double>(f[2], "bandwidth_bps"), rd.number<double>(f[3], "latency_ns"),
          rd.number<double>(f[4], "emulated_bandwidth_bps"), rd.number<double>(f[5], "emulated_latency_ns")};
}

}  // namespace

std::string cluster_file_from_environment() {
  for (const char* name : {"SCALELAB_CLUSTER_TABLE", "SCALELAB_CLUSTER_FILE"})
    if (const char* f = std::getenv(name); f && *f) return f;
  return {};
}

bool is_cluster_table(std::string_view text) { return text.substr(0, kTablePrefix.size()) == kTablePrefix; }

ClusterInfo parse_cluster_table(const std::string& text, const std::string& origin) {
  Reader rd{origin};
  std::string_view rest(text);
  auto next_line = [&]() -> std::optional<std::string_view> {
    if (rest.empty()) return std::nullopt;
    const std::size_t nl = rest.find('\n');
    std::string_view l = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    ++rd.line;
    return l;
  };
  const auto first = next_line();
  if (!first || first->substr(0, kClusterTableMagic.size()) != kClusterTableMagic ||
      (first->size() > kClusterTableMagic.size() && (*first)[kClusterTableMagic.size()] != ':'))
    throw ClusterFileError(fmt::format("{}: line 1: not a version 1 cluster table (it must begin \"{}\"); bring the "
                                       "cluster up again with this scalelab, or pass its cluster.json",
                                       origin, kClusterTableMagic));
  ClusterInfo c;
  long base_port = 29500;
  std::optional<int> world;
  std::vector<ReadRank> read;
  while (const auto l = next_line()) {
    if (l->empty() || l->front() == '#') continue;
    const auto f = split_tabs(*l);
    const std::string_view key = f[0];
    auto single = [&]() {
      if (f.size() != 2) rd.bad(key, fmt::format("has {} fields, a {} line has 2", f.size(), key));
      return f[1];
    };
    if (key == "rank") {
      read.push_back(read_rank(rd, f));
    } else if (key == "tier") {
      if (f.size() >= 2 && f[1] == "scale_up") c.scale_up = read_tier(rd, f);
      else if (f.size() >= 2 && f[1] == "scale_out") c.scale_out = read_tier(rd, f);
      else rd.bad("tier", fmt::format("\"{}\" is not scale_up or scale_out", f.size() >= 2 ? f[1] : ""));
    } else if (key == "name") {
      c.name = std::string(single());
    } else if (key == "dilation") {
      c.dilation = rd.number<double>(single(), "dilation");
      if (!(c.dilation > 0)) rd.bad("dilation", "must be > 0");
    } else if (key == "base_port") {
      base_port = rd.number<long>(single(), "base_port");
      if (base_port <= 0 || base_port > 65535) rd.bad("base_port", "must be a TCP port");
    } else if (key == "world_size") {
      world = rd.number<int>(single(), "world_size");
      if (*world <= 0) rd.bad("world_size", "must be >= 1");
    } else {
      rd.bad(key, "not a record of a version 1 table (name, dilation, base_port, world_size, tier, rank)");
    }
  }
  rd.line = 0;
  if (!world) throw ClusterFileError(fmt::format("{}: no world_size line", origin));
  c.world_size = *world;
  if (static_cast<long>(read.size()) != c.world_size)
    throw ClusterFileError(fmt::format("{}: has {} rank lines but world_size is {}", origin, read.size(), c.world_size));
  if (base_port + c.world_size - 1 > 65535)
    throw ClusterFileError(fmt::format("{}: base_port + world_size exceeds 65535", origin));
  c.base_port = static_cast<uint16_t>(base_port);
  c.ranks.resize(c.world_size);
  std::vector<std::size_t> line_of(c.world_size, 0);
  for (auto& [ri, line] : read) {
    rd.line = line;
    if (ri.rank < 0 || ri.rank >= c.world_size) rd.bad("rank", fmt::format("{} out of range", ri.rank));
    if (line_of[ri.rank]) rd.bad("rank", fmt::format("duplicate rank {} (also on line {})", ri.rank, line_of[ri.rank]));
    if (!ri.scale_up && !ri.scale_out && c.world_size > 1) rd.bad("rank", "has neither scale_up nor scale_out");
    line_of[ri.rank] = line;
    c.ranks[ri.rank] = std::move(ri);
  }
  check_every_pair_reachable(
      c, [&](int rank, const char* field) { return fmt::format("line {} ({})", line_of.at(rank), field); }, origin);
  return c;
}

}  // namespace scalelab::agent
