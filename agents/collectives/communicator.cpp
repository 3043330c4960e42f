#include "collectives/communicator.h"

#include <algorithm>
#include <atomic>
#include <csignal>

#include <fmt/format.h>

namespace scalelab::agent {

namespace {
// Set from a signal handler, which may run on any thread, and read by the rank's thread: a
// lock-free atomic is both async-signal-safe and race-free (volatile sig_atomic_t is only the
// first; ThreadSanitizer reported it).
std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);

std::string pending_text(const Request& r) {
  const int p = r.peer();
  return fmt::format("{} of {} bytes {} rank {} incomplete ({} bytes done)", r.is_send() ? "send" : "receive",
                     r.bytes(), r.is_send() ? "to" : "from", p, r.transferred());
}
}  // namespace

void request_stop(int signo) noexcept { g_stop_signal.store(signo, std::memory_order_relaxed); }
int stop_requested() noexcept { return g_stop_signal.load(std::memory_order_relaxed); }
void clear_stop_request() noexcept { g_stop_signal.store(0, std::memory_order_relaxed); }

Comm::Comm(int rank, int size, std::vector<int> domains, std::vector<PeerRoute> routes, std::vector<Transport*> via,
           std::vector<std::unique_ptr<Transport>> owned, CommOptions opts)
    : rank_(rank),
      size_(size),
      domains_(std::move(domains)),
      routes_(std::move(routes)),
      via_(std::move(via)),
      owned_(std::move(owned)),
      opts_(opts),
      scratch_(4),
      op_start_(Clock::now()) {
  if (domains_.size() != static_cast<std::size_t>(size_)) domains_.assign(size_, -1);
  routes_.resize(size_);
  via_.resize(size_, nullptr);
  for (int p = 0; p < size_; ++p) {
    if (p == rank_) continue;
    if (!via_[p]) throw std::logic_error(fmt::format("comm: no transport for peer {}", p));
    if (std::find(active_.begin(), active_.end(), via_[p]) == active_.end()) active_.push_back(via_[p]);
  }
  if (opts_.chunk_bytes == 0) opts_.chunk_bytes = 1 << 20;
}

Comm::~Comm() { close(); }

const Hierarchy& Comm::hierarchy() const {
  std::call_once(hierarchy_once_, [this] { hierarchy_ = std::make_unique<Hierarchy>(make_hierarchy(domains_, rank_)); });
  return *hierarchy_;
}

void Comm::close() noexcept {
  for (auto& t : owned_)
    if (t) t->close();
}

int Comm::redialled() const {
  int n = 0;
  for (const auto& t : owned_) n += t->redialled();
  return n;
}

std::string Comm::transport_name(int peer) const {
  return (peer >= 0 && peer < size_ && via_[peer]) ? via_[peer]->name() : std::string("none");
}

Request Comm::isend(int peer, const void* buf, std::size_t len) { return via_.at(peer)->isend(peer, buf, len); }
Request Comm::irecv(int peer, void* buf, std::size_t len) { return via_.at(peer)->irecv(peer, buf, len); }

void Comm::progress_all(Deadline dl) {
  if (active_.size() == 1) {
    active_[0]->progress(Millis(dl.poll_ms(100)));
    return;
  }
  for (Transport* t : active_) t->progress(Millis(std::min(1, dl.poll_ms())));
}

void Comm::timeout(const Request& r, Deadline dl) {
  const int p = r.peer();
  CollectiveError e(routes_.at(p), transport_name(p),
                    fmt::format("timeout after {} ms: {}", dl.budget().count(), pending_text(r)));
  e.set_elapsed_ms(elapsed_ms());
  throw e;
}

void Comm::stopped(const Request& r, int signo) {
  const int p = r.peer();
  const char* name = signo == SIGTERM ? "SIGTERM" : signo == SIGINT ? "SIGINT" : "a signal";
  CollectiveError e(routes_.at(p), transport_name(p),
                    fmt::format("stopped by {} (signal {}) while waiting: {}", name, signo, pending_text(r)));
  e.set_elapsed_ms(elapsed_ms());
  throw e;
}

void Comm::wait(Request& r) { wait(r, Deadline::after(opts_.step_timeout)); }

void Comm::wait(Request& r, Deadline dl) {
  try {
    while (!r.done()) {
      if (const int sig = stop_requested()) stopped(r, sig);
      if (dl.expired()) timeout(r, dl);
      progress_all(dl);
    }
  } catch (CollectiveError& e) {
    if (e.info().elapsed_ms < 0) e.set_elapsed_ms(elapsed_ms());
    throw;
  }
}

void Comm::wait_all(std::vector<Request>& rs) {
  const Deadline dl = Deadline::after(opts_.step_timeout);
  for (auto& r : rs) wait(r, dl);
}

std::byte* Comm::scratch(std::size_t bytes, int slot) {
  auto& s = scratch_.at(slot);
  if (s.size() < bytes) s.resize(bytes);
  return s.data();
}

void Comm::begin_op() {
  op_start_ = Clock::now();
  ++ops_begun_;
}

void Comm::add_stage_time(std::string_view name, double seconds) {
  for (auto& st : stage_times_)
    if (st.name == name) {
      st.seconds += seconds;
      return;
    }
  stage_times_.push_back({std::string(name), seconds});
}

double Comm::elapsed_ms() const {
  return std::chrono::duration<double, std::milli>(Clock::now() - op_start_).count();
}

}  // namespace scalelab::agent
