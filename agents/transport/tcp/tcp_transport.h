// TCP transport: one connection per peer pair, TCP_NODELAY, large socket buffers, poll()-driven.
// Rank r listens on listen_address:base_port+r; the higher rank of a pair connects to the lower one
// (retrying until the deadline) and introduces itself with a hello {magic, version, rank, world, cluster};
// every send then travels as frames (transport/tcp/wire.h). A connection whose hello is wrong (garbage,
// another cluster, another world, a rank already connected, a source address the plan does not give
// that rank) and a peer whose frames are wrong end this rank with a CollectiveError naming it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "transport/transport.h"
#include "transport/tcp/wire.h"

namespace scalelab::agent {

struct TcpOptions {
  uint16_t base_port = 29500;
  std::string listen_address = "0.0.0.0";
  int socket_buffer_bytes = 4 << 20;
  bool bind_source = true;  // bind outgoing connections to the route's local address (pins the interface)
  std::string cluster;      // the cluster's name, carried in the hello (connect_comm sets it)
  // Bytes a peer may send ahead of this rank's posted receives; past it the peer is a runaway
  // or hostile sender and the rank ends naming it, instead of buffering until memory runs out.
  // A collective's step never has more than a message in flight, and a message is below 1 GiB.
  std::size_t max_staged_bytes = std::size_t{1} << 31;
};

class TcpTransport final : public Transport {
 public:
  // Starts listening at once (so peers can connect while this rank is still connecting to others).
  // Throws CollectiveError (peer -1) if the port cannot be bound.
  TcpTransport(int rank, int world_size, TcpOptions opts);
  ~TcpTransport() override;
  std::string name() const override { return "tcp"; }
  void connect(const std::vector<PeerRoute>& peers, Deadline deadline) override;
  Request isend(int peer, const void* buf, std::size_t len) override;
  Request irecv(int peer, void* buf, std::size_t len) override;
  void progress(Millis max_block) override;
  void close() noexcept override;

 private:
  struct Chan {
    int fd = -1;
    PeerRoute route;
    std::deque<std::shared_ptr<OpState>> sends, recvs;
    std::vector<std::byte> staging;  // bytes that arrived before a receive was posted
    std::size_t staging_head = 0;
    bool eof = false;
    int err = 0;
    wire::FrameReader reader;  // frames arriving
    std::string wire_err;      // what the peer sent that breaks the protocol (fatal)
    std::array<std::byte, wire::kFrameHeaderSize> out_hdr{};  // the header of the frame being sent
    std::size_t out_hdr_left = 0;                             // its bytes not yet sent
    uint64_t out_frame_left = 0;                              // payload bytes of that frame not yet sent
  };
  bool io_pass();  // non-blocking reads/writes on every channel; true if anything moved
  bool read_chan(Chan& c);
  bool write_chan(Chan& c);
  bool drain_staging(Chan& c);
  void check_failures();
  [[noreturn]] void fail(const Chan& c, const std::string& cause);

  int rank_, world_;
  TcpOptions opts_;
  int listen_fd_ = -1;
  std::vector<std::unique_ptr<Chan>> chans_;  // indexed by peer; null when not connected
  std::unique_ptr<std::byte[]> rbuf_;          // read buffer for eager staging (not zero-filled)
};

}  // namespace scalelab::agent
