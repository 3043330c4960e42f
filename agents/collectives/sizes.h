#pragma once
// Message sizes as nccl-tests takes them: "32M", "1G", "4096" (K/M/G are powers of 1024, an
// optional trailing B), and the -b/-e/-f/-i sweep. Shared by the agents and the cost model so a
// size means the same thing in `bench` and `model`.
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace scalelab::agent {

std::optional<std::uint64_t> parse_size(std::string_view text);
// min, min×factor, … ≤ max when factor > 1; else min, min+step, …; stops on overflow.
std::vector<std::uint64_t> size_sweep(std::uint64_t min_bytes, std::uint64_t max_bytes, std::uint64_t factor, std::uint64_t step_bytes);

}  // namespace scalelab::agent
