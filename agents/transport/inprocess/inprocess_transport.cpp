#include "transport/inprocess/inprocess_transport.h"

#include <algorithm>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace scalelab::agent {

InProcessFabric::InProcessFabric(int world_size) : n_(world_size), state_(world_size, State::absent), cause_(world_size) {
  for (int i = 0; i < n_; ++i) {
    auto box = std::make_unique<Inbox>();
    box->from.resize(n_);
    inbox_.push_back(std::move(box));
  }
}

void InProcessFabric::set_state(int rank, State s, const std::string& cause) {
  {
    std::lock_guard lk(state_mu_);
    if (state_[rank] == State::failed) return;  // the first failure sticks
    state_[rank] = s;
    cause_[rank] = cause;
  }
  for (auto& box : inbox_) {  // wake everyone: a waiting peer may have to fail now
    std::lock_guard lk(box->mu);
    box->cv.notify_all();
  }
}

void InProcessFabric::fail(int rank, const std::string& cause) { set_state(rank, State::failed, cause); }

InProcessTransport::InProcessTransport(std::shared_ptr<InProcessFabric> fabric, int rank)
    : f_(std::move(fabric)), rank_(rank), routes_(f_->size()), recvs_(f_->size()) {
  f_->set_state(rank_, InProcessFabric::State::alive, "");
}

void InProcessTransport::connect(const std::vector<PeerRoute>& peers, Deadline deadline) {
  for (const auto& r : peers) routes_.at(r.peer) = r;
  for (const auto& r : peers) {
    while (true) {
      InProcessFabric::State s;
      {
        std::lock_guard lk(f_->state_mu_);
        s = f_->state_[r.peer];
      }
      if (s != InProcessFabric::State::absent) break;
      if (deadline.expired())
        throw CollectiveError(r, name(),
                              fmt::format("timeout after {} ms waiting for rank {} to join", deadline.budget().count(),
                                          r.peer));
      std::this_thread::sleep_for(Millis(1));
    }
  }
}

Request InProcessTransport::isend(int peer, const void* buf, std::size_t len) {
  auto op = make_op(OpState::Kind::send, peer, buf, len);
  if (len > 0) {
    InProcessFabric::Chunk c;
    c.data.resize(len);
    std::memcpy(c.data.data(), buf, len);
    auto& box = *f_->inbox_[peer];
    {
      std::lock_guard lk(box.mu);
      box.from[rank_].push_back(std::move(c));
    }
    box.cv.notify_all();
    op->done = op->posted = len;
    op->complete = true;
  }
  return Request(op);
}

Request InProcessTransport::irecv(int peer, void* buf, std::size_t len) {
  auto op = make_op(OpState::Kind::recv, peer, buf, len);
  if (len > 0) recvs_[peer].push_back(op);
  return Request(op);
}

bool InProcessTransport::deliver_locked() {
  auto& box = *f_->inbox_[rank_];
  bool moved = false;
  for (int p = 0; p < f_->size(); ++p) {
    auto& q = box.from[p];
    auto& rq = recvs_[p];
    while (!rq.empty() && !q.empty()) {
      auto& op = *rq.front();
      auto& c = q.front();
      const std::size_t n = std::min(op.len - op.done, c.data.size() - c.head);
      std::memcpy(op.buf + op.done, c.data.data() + c.head, n);
      op.done += n;
      c.head += n;
      moved = true;
      if (c.head == c.data.size()) q.pop_front();
      if (op.done == op.len) {
        op.complete = true;
        rq.pop_front();
      }
    }
  }
  return moved;
}

void InProcessTransport::progress(Millis max_block) {
  auto& box = *f_->inbox_[rank_];
  std::unique_lock lk(box.mu);
  if (deliver_locked()) return;
  // Nothing moved. A receive from a peer that is gone can never complete: fail now.
  auto check_peers = [&] {
    for (int p = 0; p < f_->size(); ++p) {
      if (recvs_[p].empty() || !box.from[p].empty()) continue;
      InProcessFabric::State s;
      std::string cause;
      {
        std::lock_guard sl(f_->state_mu_);
        s = f_->state_[p];
        cause = f_->cause_[p];
      }
      if (s == InProcessFabric::State::failed)
        throw CollectiveError(routes_[p], name(), fmt::format("connection reset: peer rank {} failed ({})", p, cause));
      if (s == InProcessFabric::State::closed)
        throw CollectiveError(routes_[p], name(),
                              fmt::format("peer rank {} closed its channel with a receive of {} bytes pending", p,
                                          recvs_[p].front()->len - recvs_[p].front()->done));
    }
  };
  check_peers();
  if (max_block.count() > 0) box.cv.wait_for(lk, max_block);
  deliver_locked();
}

void InProcessTransport::close() noexcept {
  if (closed_) return;
  closed_ = true;
  f_->set_state(rank_, InProcessFabric::State::closed, "closed");
}

}  // namespace scalelab::agent
