#include "bench/startup.h"

#include <time.h>

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace scalelab::agent {

std::int64_t wall_clock_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

StartupSummary summarize_startup(const std::vector<StartupStamps>& stamps, std::int64_t gathered_us) {
  if (stamps.empty()) throw std::invalid_argument("summarize_startup: no ranks");
  StartupSummary s;
  s.world = static_cast<int>(stamps.size());
  std::int64_t first = stamps[0].started_us, last = stamps[0].started_us, connected = stamps[0].connected_us,
               slowest = stamps[0].loaded_us - stamps[0].started_us;
  s.redialled = stamps[0].redialled;
  for (int r = 1; r < s.world; ++r) {
    const auto& t = stamps[r];
    s.redialled += t.redialled;
    first = std::min(first, t.started_us);
    if (t.started_us > last) last = t.started_us, s.last_started = r;
    if (t.connected_us > connected) connected = t.connected_us, s.last_connected = r;
    if (t.loaded_us - t.started_us > slowest) slowest = t.loaded_us - t.started_us, s.slowest_loader = r;
  }
  s.start_spread_s = static_cast<double>(last - first) / 1e6;
  s.slowest_load_s = static_cast<double>(slowest) / 1e6;
  s.connected_s = static_cast<double>(connected - first) / 1e6;
  s.gathered_s = static_cast<double>(gathered_us - first) / 1e6;
  return s;
}

std::string format_startup(const StartupSummary& s) {
  return fmt::format(
      "# Start-up: {} ranks started within {:.3f} s (last: rank {}); cluster file parsed in at most {:.3f} s "
      "(rank {}); every rank connected at {:.3f} s (last: rank {}; {} dials made again); rank lines gathered at "
      "{:.3f} s",
      s.world, s.start_spread_s, s.last_started, s.slowest_load_s, s.slowest_loader, s.connected_s, s.last_connected,
      s.redialled, s.gathered_s);
}

nlohmann::json startup_json(const StartupSummary& s) {
  return {{"start_spread_s", s.start_spread_s}, {"last_started", s.last_started},
          {"slowest_load_s", s.slowest_load_s}, {"slowest_loader", s.slowest_loader},
          {"connected_s", s.connected_s},       {"last_connected", s.last_connected},
          {"gathered_s", s.gathered_s},         {"redialled", s.redialled}};
}

}  // namespace scalelab::agent
