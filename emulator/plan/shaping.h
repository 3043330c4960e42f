#pragma once
// Turns a link's real-hardware figures into the qdisc parameters of one egress, after dilation.
#include "emulator/model/topology.h"
#include "emulator/plan/plan.h"

namespace scalelab::plan {

inline constexpr std::uint64_t kMinimumRateBps = 8'000;  // htb cannot shape meaningfully below this

Shaping make_shaping(const model::LinkParams& link, double dilation);

std::uint64_t dilate_rate(std::uint64_t real_bps, double dilation);
std::uint64_t dilate_time(std::uint64_t real_ns, double dilation);

// Dilation chosen when the topology says "auto" and no measured capacity is available:
// the smallest power-of-ten-ish factor (1, 2, 5, 10, 20, 50, …) that brings the fastest link
// to at most `ceiling_bps`.
double default_auto_dilation(const model::Topology& topology, std::uint64_t ceiling_bps);

}  // namespace scalelab::plan
