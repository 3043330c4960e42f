// In-process transport: N ranks as threads of one process exchanging bytes through shared queues.
// Used by the unit tests and by `scalelab-agent --inprocess N`.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "transport/transport.h"

namespace scalelab::agent {

class InProcessFabric {
 public:
  explicit InProcessFabric(int world_size);
  int size() const { return n_; }
  // A rank failed (e.g. threw): peers waiting on data from it fail at once instead of timing out.
  void fail(int rank, const std::string& cause);

 private:
  friend class InProcessTransport;
  enum class State { absent, alive, closed, failed };
  struct Chunk {
    std::vector<std::byte> data;
    std::size_t head = 0;
  };
  struct Inbox {  // everything destined to one rank
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::deque<Chunk>> from;  // indexed by source rank
  };
  void set_state(int rank, State s, const std::string& cause);
  int n_;
  std::vector<std::unique_ptr<Inbox>> inbox_;
  std::mutex state_mu_;
  std::vector<State> state_;
  std::vector<std::string> cause_;
};

class InProcessTransport final : public Transport {
 public:
  InProcessTransport(std::shared_ptr<InProcessFabric> fabric, int rank);
  ~InProcessTransport() override { close(); }
  std::string name() const override { return "inprocess"; }
  // Waits until every peer has arrived (constructed its transport) or the deadline.
  void connect(const std::vector<PeerRoute>& peers, Deadline deadline) override;
  Request isend(int peer, const void* buf, std::size_t len) override;
  Request irecv(int peer, void* buf, std::size_t len) override;
  void progress(Millis max_block) override;
  void close() noexcept override;

 private:
  bool deliver_locked();  // move queued bytes into posted receives; true if anything moved
  std::shared_ptr<InProcessFabric> f_;
  int rank_;
  bool closed_ = false;
  std::vector<PeerRoute> routes_;                          // indexed by peer
  std::vector<std::deque<std::shared_ptr<OpState>>> recvs_;  // pending receives per peer
};

}  // namespace scalelab::agent
