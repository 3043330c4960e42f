#pragma once
// What nccl-tests fixes and both the agents and the cost model must agree on: the collectives
// and their names, the busbw factors, message sizes ("32M", "1G", "4096": K/M/G are powers of
// 1024, an optional trailing B) and the -b/-e/-f/-i sweep.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace scalelab::agent {

enum class Collective { all_reduce, all_gather, reduce_scatter, broadcast, alltoall, sendrecv };
// Also nccl-tests' binary names ("all_reduce_perf") and the unseparated forms ("allreduce").
std::optional<Collective> parse_collective(std::string_view s);
std::string_view collective_name(Collective c);
// all_reduce 2(n-1)/n; all_gather, reduce_scatter, alltoall (n-1)/n; broadcast, sendrecv 1.
double bus_factor(Collective c, int nranks);

// Whether all_reduce can run hierarchically over ranks whose scale-up domain ids are `domains`
// (< 0: none): more than one domain, every rank in one, every domain of the same size > 1. The
// agents and the cost model decide with this one rule.
bool hier_applicable(const std::vector<int>& domains);

std::optional<std::uint64_t> parse_size(std::string_view text);
// min, min×factor, … ≤ max when factor > 1; else min, min+step, …; stops on overflow.
std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor, std::uint64_t step_bytes);

}  // namespace scalelab::agent
