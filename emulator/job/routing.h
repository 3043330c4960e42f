#pragma once
// MoE token routing with a seeded skew: which share of each rank's tokens goes to the experts of
// each EP rank. Every rank computes the whole matrix from the seed, so a rank knows what it will
// receive without asking (the counts an alltoallv needs), and the model predicts the same bytes.
#include <cstdint>
#include <vector>

#include "emulator/job/job_spec.h"

namespace scalelab::job {

// tokens[src][dst]: token assignments EP rank src sends to the experts hosted on EP rank dst for
// one micro-batch, for EP group `group` at step `step`. Rows sum to moe.tokens × moe.top_k.
// Popularity of expert e ∝ 1 / (1 + rank_e)^skew, the ranks of experts permuted per step by the seed.
std::vector<std::vector<std::uint64_t>> route_tokens(const MoeSpec& moe, int ep, int group, int step);

}  // namespace scalelab::job
