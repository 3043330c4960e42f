#include "emulator/plan/shaping.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace scalelab::plan {
namespace {
constexpr std::uint32_t kEthernetHeader = 14;
constexpr std::uint32_t kMaxQuantum = 200'000;  // above this the kernel warns "quantum of class is big"
}  // namespace

std::uint64_t dilate_rate(std::uint64_t real_bps, double dilation) {
  auto rate = static_cast<std::uint64_t>(std::llround(double(real_bps) / dilation));
  return std::max(rate, kMinimumRateBps);
}

std::uint64_t dilate_time(std::uint64_t real_ns, double dilation) {
  return static_cast<std::uint64_t>(std::llround(double(real_ns) * dilation));
}

Shaping make_shaping(const model::LinkParams& link, double dilation) {
  Shaping s;
  s.rate_bps = dilate_rate(link.bandwidth_bps, dilation);
  s.delay_ns = dilate_time(link.latency_ns, dilation);
  s.jitter_ns = dilate_time(link.jitter_ns, dilation);
  s.loss = link.loss;

  const std::uint64_t frame = link.mtu + kEthernetHeader;
  const std::uint64_t bytes_per_second = s.rate_bps / 8;
  // One millisecond of traffic covers htb's timer granularity, so the long-run rate is exact
  // while a single burst stays short compared with any measurement.
  std::uint64_t burst = std::max<std::uint64_t>(bytes_per_second / 1000, 4 * frame);
  s.burst_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(burst, std::numeric_limits<std::uint32_t>::max()));
  s.quantum_bytes = static_cast<std::uint32_t>(std::clamp<std::uint64_t>(bytes_per_second / 10, frame, kMaxQuantum));

  if (s.needs_netem()) {
    // netem holds every packet in flight for the delay: give it twice the bandwidth-delay product.
    double in_flight_s = double(s.delay_ns + s.jitter_ns) / 1e9;
    auto bdp_packets = static_cast<std::uint64_t>(std::ceil(double(bytes_per_second) * in_flight_s / double(frame)));
    s.netem_limit_packets = static_cast<std::uint32_t>(std::max<std::uint64_t>(1000, 2 * bdp_packets));
  }
  return s;
}

double default_auto_dilation(const model::Topology& topology, std::uint64_t ceiling_bps) {
  std::uint64_t fastest = 0;
  for (const auto& l : topology.links) fastest = std::max(fastest, l.params.bandwidth_bps);
  static constexpr double steps[] = {1, 2, 5};
  for (double decade = 1; decade < 1e12; decade *= 10)
    for (double step : steps)
      if (double(fastest) / (decade * step) <= double(ceiling_bps)) return decade * step;
  return 1e12;
}

}  // namespace scalelab::plan
