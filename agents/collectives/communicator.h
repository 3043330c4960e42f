// Comm: one rank's view of the world — which transport/channel reaches each peer, the scale-up
// domains, the per-step deadline — and the waits the algorithms use. Owns its transports.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/tree.h"
#include "transport/error.h"
#include "transport/transport.h"

namespace scalelab::agent {

// Seconds this rank spent in one named stage of a collective, summed over the collectives since
// the last reset. Names are the cost model's ("domain reduce-scatter", …), so a run can be
// compared with the model stage by stage.
struct StageTime {
  std::string name;
  double seconds = 0;
};

struct CommOptions {
  Millis step_timeout{2000};          // bound of every blocking wait (SCALELAB_TIMEOUT_MS)
  std::size_t chunk_bytes = 1 << 20;  // pipeline chunk of the ring/chain algorithms
};

// Process-wide stop request, set from a signal handler (the agent installs one for SIGTERM/SIGINT
// once connected): every Comm::wait then throws a CollectiveError naming the request it was waiting
// for, so a rank its launcher stops (e.g. `scalelab run` after another rank failed) still says
// where it was stuck. Async-signal-safe.
void request_stop(int signo) noexcept;
int stop_requested() noexcept;  // the signal number, 0 if none
void clear_stop_request() noexcept;  // tests

class Comm {
 public:
  // routes[p] / via[p]: how to reach peer p (ignored for p == rank). `owned` are the transports
  // referenced by `via`; they must already be connected.
  Comm(int rank, int size, std::vector<int> domains, std::vector<PeerRoute> routes, std::vector<Transport*> via,
       std::vector<std::unique_ptr<Transport>> owned, CommOptions opts);
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  const std::vector<int>& domains() const { return domains_; }
  // This rank's domain, rail and tree (collectives/tree.h), made at the first call.
  const Hierarchy& hierarchy() const;
  const CommOptions& options() const { return opts_; }
  const PeerRoute& route(int peer) const { return routes_.at(peer); }
  std::string transport_name(int peer) const;
  int redialled() const;  // over every transport: dials made again while connecting

  Request isend(int peer, const void* buf, std::size_t len);
  Request irecv(int peer, void* buf, std::size_t len);
  // Block until `r` completes, driving every transport. Throws CollectiveError on a transport error
  // or when the deadline (default: now + step_timeout) passes — naming the peer of `r`.
  void wait(Request& r);
  void wait(Request& r, Deadline dl);
  void wait_all(std::vector<Request>& rs);  // one deadline for the group

  // Reusable scratch memory (slot 0..3), at least `bytes` long; contents unspecified.
  std::byte* scratch(std::size_t bytes, int slot = 0);

  // Marks the start of a collective: CollectiveError.elapsed_ms is measured from here.
  void begin_op();
  double elapsed_ms() const;
  long ops_begun() const { return ops_begun_; }  // collectives started on this communicator

  // Stage times: the algorithms add to them, the benchmark resets and reads them.
  void add_stage_time(std::string_view name, double seconds);
  const std::vector<StageTime>& stage_times() const { return stage_times_; }
  void reset_stage_times() { stage_times_.clear(); }

  void close() noexcept;

 private:
  void progress_all(Deadline dl);
  [[noreturn]] void timeout(const Request& r, Deadline dl);
  [[noreturn]] void stopped(const Request& r, int signo);

  int rank_, size_;
  std::vector<int> domains_;
  mutable std::once_flag hierarchy_once_;
  mutable std::unique_ptr<Hierarchy> hierarchy_;
  std::vector<PeerRoute> routes_;
  std::vector<Transport*> via_;
  std::vector<std::unique_ptr<Transport>> owned_;
  std::vector<Transport*> active_;  // distinct transports in use
  CommOptions opts_;
  std::vector<std::vector<std::byte>> scratch_;
  Clock::time_point op_start_;
  long ops_begun_ = 0;
  std::vector<StageTime> stage_times_;  // in the order first seen
};

// Adds the time from construction to destruction to `comm`'s stage `name`. A stage that throws
// is not counted: its collective failed.
class StageTimer {
 public:
  StageTimer(Comm& comm, std::string_view name) : comm_(comm), name_(name), start_(Clock::now()) {}
  ~StageTimer() {
    if (std::uncaught_exceptions() == 0)
      comm_.add_stage_time(name_, std::chrono::duration<double>(Clock::now() - start_).count());
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  Comm& comm_;
  std::string_view name_;
  Clock::time_point start_;
};

}  // namespace scalelab::agent
