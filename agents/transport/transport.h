// The transport interface: per-peer reliable, ordered byte channels with asynchronous send/recv.
//
// Algorithms (collectives/algorithms.h) never see sockets or queue pairs; they post isend/irecv on
// the channel to a peer and wait on the returned Request through the Comm, which drives
// Transport::progress() under a deadline. This is the split gloo makes between algorithms and
// transport pairs.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "transport/error.h"

namespace scalelab::agent {

// State of one posted send or receive. Owned jointly by the transport's queues and the Request.
struct OpState {
  enum class Kind { send, recv };
  Kind kind = Kind::send;
  int peer = -1;
  std::byte* buf = nullptr;  // for sends: the caller's buffer (read only)
  std::size_t len = 0;
  std::size_t posted = 0;  // bytes handed to the wire (transports that stage, e.g. verbs)
  std::size_t done = 0;    // bytes sent (accepted by the wire) or received
  bool complete = false;
};

class Request {
 public:
  Request() = default;
  explicit Request(std::shared_ptr<OpState> s) : s_(std::move(s)) {}
  bool valid() const { return s_ != nullptr; }
  bool done() const { return !s_ || s_->complete; }
  int peer() const { return s_ ? s_->peer : -1; }
  bool is_send() const { return s_ && s_->kind == OpState::Kind::send; }
  std::size_t bytes() const { return s_ ? s_->len : 0; }
  std::size_t transferred() const { return s_ ? s_->done : 0; }

 private:
  std::shared_ptr<OpState> s_;
};

// A transport serves the channels of one rank to a set of peers (those assigned to it by tier).
// Semantics every implementation keeps:
//  * one channel per peer, full duplex, reliable, ordered, stream-like: the bytes of successive
//    sends arrive in order and are consumed by successive receives in order (sizes need not match
//    one to one, though the algorithms always match them);
//  * isend/irecv never block; the buffer must stay valid (and, for irecv, untouched) until done();
//  * data may arrive before the matching irecv is posted (it is staged), so two ranks that both
//    send first and receive second never deadlock;
//  * progress() moves bytes on every channel, blocks at most `max_block` when nothing can move, and
//    throws CollectiveError when a channel fails (reset, EOF with a receive pending, work
//    completion error) — it never hangs on its own, the caller bounds every wait with a deadline.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual std::string name() const = 0;  // "tcp", "verbs", "inprocess"
  // Establish the channels to `peers` (routes from this rank). Throws CollectiveError naming the first
  // peer that is not connected by `deadline`.
  virtual void connect(const std::vector<PeerRoute>& peers, Deadline deadline) = 0;
  virtual Request isend(int peer, const void* buf, std::size_t len) = 0;
  virtual Request irecv(int peer, void* buf, std::size_t len) = 0;
  virtual void progress(Millis max_block) = 0;
  // Dials that had to be made again because the peer was not listening yet (refused or reset).
  virtual int redialled() const { return 0; }
  // Orderly close: pending operations are abandoned. Idempotent.
  virtual void close() noexcept = 0;
};

// Helpers for implementations.

// Copies bytes that arrived before their receive was posted into the posted receives, oldest
// first, completing those it fills; empties the staging buffer once all of it is consumed.
// Returns whether anything moved.
inline bool drain_staged(std::vector<std::byte>& staging, std::size_t& head, std::deque<std::shared_ptr<OpState>>& recvs) {
  bool moved = false;
  while (!recvs.empty() && head < staging.size()) {
    auto& op = *recvs.front();
    const std::size_t n = std::min(op.len - op.done, staging.size() - head);
    std::memcpy(op.buf + op.done, staging.data() + head, n);
    op.done += n;
    head += n;
    moved = true;
    if (op.done == op.len) {
      op.complete = true;
      recvs.pop_front();
    }
  }
  if (head == staging.size()) {
    staging.clear();
    head = 0;
  }
  return moved;
}

inline std::shared_ptr<OpState> make_op(OpState::Kind kind, int peer, const void* buf, std::size_t len) {
  auto s = std::make_shared<OpState>();
  s->kind = kind;
  s->peer = peer;
  s->buf = static_cast<std::byte*>(const_cast<void*>(buf));
  s->len = len;
  s->complete = (len == 0);
  return s;
}

}  // namespace scalelab::agent
