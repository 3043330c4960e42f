#pragma once
// Where a rank's start-up time went: every rank stamps three moments on the wall clock (shared by
// all processes of the machine), rank 0 gathers them with the "Using devices" lines and prints one
// summary line. At 1024 ranks on 2 cores the start-up takes longer than the collective, and which
// phase grows is the first thing to know.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace scalelab::agent {

// Microseconds on CLOCK_REALTIME.
std::int64_t wall_clock_us();

struct StartupStamps {
  std::int64_t started_us = 0;    // main() entered
  std::int64_t loaded_us = 0;     // cluster file parsed
  std::int64_t connected_us = 0;  // every peer connected
  std::int64_t redialled = 0;     // dials made again while connecting (a peer not listening yet)
};

struct StartupSummary {
  int world = 0;
  double start_spread_s = 0;  // last rank's start after the first's
  int last_started = 0;
  double slowest_load_s = 0;  // longest cluster-file parse of any rank
  int slowest_loader = 0;
  double connected_s = 0;  // after the first start, when the last rank had all its peers
  int last_connected = 0;
  double gathered_s = 0;  // after the first start, when rank 0 had every rank's line
  std::int64_t redialled = 0;  // over every rank
};

// `stamps` holds every rank's, by rank; `gathered_us` is rank 0's moment the gather completed.
StartupSummary summarize_startup(const std::vector<StartupStamps>& stamps, std::int64_t gathered_us);

// "# Start-up: ..." — one header line.
std::string format_startup(const StartupSummary& s);
nlohmann::json startup_json(const StartupSummary& s);

}  // namespace scalelab::agent
