// TCP transport: two connections per peer, one per direction (transport/tcp/tcp_connect.h: the
// dialled one carries this rank's sends, the accepted one the peer's), TCP_NODELAY, large socket
// buffers, poll()-driven. Rank r listens on listen_address:base_port+r, or on the socket the launcher
// made for it. Every send travels as frames (transport/tcp/wire.h); a peer whose hello or frames are
// wrong ends this rank with a CollectiveError naming it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "transport/transport.h"
#include "transport/tcp/tcp_options.h"
#include "transport/tcp/wire.h"

namespace scalelab::agent {

class TcpTransport final : public Transport {
 public:
  // Starts listening at once (so peers can connect while this rank is still connecting to others),
  // or takes over opts.listen_fd. Throws CollectiveError (peer -1) if the port cannot be bound.
  TcpTransport(int rank, int world_size, TcpOptions opts);
  ~TcpTransport() override;
  std::string name() const override { return "tcp"; }
  void connect(const std::vector<PeerRoute>& peers, Deadline deadline) override;
  Request isend(int peer, const void* buf, std::size_t len) override;
  Request irecv(int peer, void* buf, std::size_t len) override;
  void progress(Millis max_block) override;
  void close() noexcept override;
  int redialled() const override { return redialled_; }

 private:
  struct Chan {
    int send_fd = -1;  // this rank's frames to the peer
    int recv_fd = -1;  // the peer's frames to this rank
    PeerRoute route;
    std::deque<std::shared_ptr<OpState>> sends, recvs;
    std::vector<std::byte> staging;  // bytes that arrived before a receive was posted
    std::size_t staging_head = 0;
    bool eof = false;   // on recv_fd
    int recv_err = 0;
    int send_err = 0;
    wire::FrameReader reader;  // frames arriving
    std::string wire_err;      // what the peer sent that breaks the protocol (fatal)
    std::array<std::byte, wire::kFrameHeaderSize> out_hdr{};  // the header of the frame being sent
    std::size_t out_hdr_left = 0;                             // its bytes not yet sent
    uint64_t out_frame_left = 0;                              // payload bytes of that frame not yet sent
  };
  bool io_pass();  // non-blocking reads/writes on the channels with work posted; true if anything moved
  bool read_chan(Chan& c);
  bool write_chan(Chan& c);
  bool drain_staging(Chan& c);
  void check_failures();
  [[noreturn]] void fail(const Chan& c, const std::string& cause);

  int rank_, world_;
  TcpOptions opts_;
  int listen_fd_ = -1;
  int redialled_ = 0;
  std::vector<std::unique_ptr<Chan>> chans_;  // indexed by peer; null when not connected
  std::unique_ptr<std::byte[]> rbuf_;          // read buffer for eager staging (not zero-filled)
};

}  // namespace scalelab::agent
