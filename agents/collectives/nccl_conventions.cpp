#include "collectives/nccl_conventions.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <string>

namespace scalelab::agent {

std::optional<Collective> parse_collective(std::string_view s) {
  if (s.size() > 5 && s.substr(s.size() - 5) == "_perf") s.remove_suffix(5);
  if (s == "all_reduce" || s == "allreduce") return Collective::all_reduce;
  if (s == "all_gather" || s == "allgather") return Collective::all_gather;
  if (s == "reduce_scatter" || s == "reducescatter") return Collective::reduce_scatter;
  if (s == "broadcast" || s == "bcast") return Collective::broadcast;
  if (s == "alltoall" || s == "all_to_all") return Collective::alltoall;
  if (s == "sendrecv" || s == "send_recv") return Collective::sendrecv;
  return std::nullopt;
}

bool hier_applicable(const std::vector<int>& domains) {
  if (domains.empty()) return false;
  std::map<int, int> size;
  for (int d : domains) {
    if (d < 0) return false;
    ++size[d];
  }
  if (size.size() < 2) return false;
  const int first = size.begin()->second;
  if (first < 2) return false;
  for (auto& [id, s] : size)
    if (s != first) return false;
  return true;
}

std::string_view collective_name(Collective c) {
  switch (c) {
    case Collective::all_reduce: return "all_reduce";
    case Collective::all_gather: return "all_gather";
    case Collective::reduce_scatter: return "reduce_scatter";
    case Collective::broadcast: return "broadcast";
    case Collective::alltoall: return "alltoall";
    case Collective::sendrecv: return "sendrecv";
  }
  return "?";
}

double bus_factor(Collective c, int nranks) {
  const double n = nranks;
  switch (c) {
    case Collective::all_reduce: return 2.0 * (n - 1) / n;
    case Collective::all_gather:
    case Collective::reduce_scatter:
    case Collective::alltoall: return (n - 1) / n;
    case Collective::broadcast:
    case Collective::sendrecv: return 1.0;
  }
  return 1.0;
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  const std::string str(s);
  const char* b = str.c_str();
  char* end = nullptr;
  const double v = std::strtod(b, &end);
  if (end == b || !(v >= 0) || !std::isfinite(v)) return std::nullopt;
  while (*end == ' ') ++end;
  double mult = 1;
  switch (*end) {
    case '\0': break;
    case 'G': case 'g': mult = 1024.0 * 1024 * 1024; ++end; break;
    case 'M': case 'm': mult = 1024.0 * 1024; ++end; break;
    case 'K': case 'k': mult = 1024.0; ++end; break;
    default: return std::nullopt;
  }
  if (*end == 'B' || *end == 'b') ++end;  // "32MB"
  if (*end != '\0') return std::nullopt;
  const double bytes = v * mult;
  if (bytes >= 1.8e19) return std::nullopt;
  return static_cast<std::uint64_t>(bytes);
}

std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor, std::uint64_t step_bytes) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = min_bytes; s <= max_bytes;) {
    out.push_back(s);
    const std::uint64_t next = factor > 1 ? s * factor : s + step_bytes;
    if (next <= s || (factor > 1 && next / factor != s)) break;  // no progress, or overflow
    s = next;
  }
  return out;
}

}  // namespace scalelab::agent
