// The TCP transport's wire protocol, as pure functions over bytes (no sockets), so the transport and
// the fuzzer (fuzz/wire_fuzz.cpp) run the same checks on what a peer sends.
//
//  * hello (kHelloSize bytes, once, from the dialling rank; each rank dials every peer it sends to):
//      u32 magic "SLAB" | u16 version | u16 0 | u32 rank | u32 world | u64 FNV-1a of the cluster name |
//      32 bytes: the cluster name, zero-padded (cut at 32; the hash covers all of it)
//  * then, both ways, frames: u32 magic "SLFR" | u32 0 | u64 payload length (1..kMaxFramePayload) |
//    payload. One isend is one frame or more (split at kMaxFramePayload); receives consume the
//    payload bytes as a stream, as transport/transport.h promises.
// Integers are little-endian. Whatever a peer sends that breaks these rules is a WireError naming the
// rule; nothing is ever allocated from a length a peer claims.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "transport/cluster_hash.h"

namespace scalelab::agent::wire {

inline constexpr uint32_t kHelloMagic = 0x534c4142;  // "SLAB"
inline constexpr uint16_t kVersion = 3;  // 3: a connection per direction
inline constexpr std::size_t kHelloSize = 56;
inline constexpr std::size_t kClusterNameBytes = 32;
inline constexpr uint32_t kFrameMagic = 0x534c4652;  // "SLFR"
inline constexpr std::size_t kFrameHeaderSize = 16;
inline constexpr uint64_t kMaxFramePayload = uint64_t(1) << 30;

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Hello {
  uint16_t version = kVersion;
  uint32_t rank = 0, world = 0;
  uint64_t cluster_hash = 0;
  std::string cluster;  // as carried (at most kClusterNameBytes)
};

using agent::cluster_hash;  // transport/cluster_hash.h
std::array<std::byte, kHelloSize> encode_hello(const std::string& cluster, int rank, int world);
// Decodes and checks a hello received by rank `self` of `world` in cluster `cluster`: the magic, the
// version, the cluster, the world size and that the rank is another rank of this world. Throws
// WireError naming what is wrong.
Hello check_hello(const std::byte* bytes, const std::string& cluster, int self, int world);

std::array<std::byte, kFrameHeaderSize> encode_frame_header(uint64_t payload_len);
// The payload length of a frame header; throws WireError on a bad magic, flags or length.
uint64_t decode_frame_header(const std::byte* bytes);

// Splits a received byte stream into frame headers and payload. Two ways to drive it: feed() a chunk
// (payload bytes are appended to `out`), or read a header into header_space() / header_missing()
// and payload straight into the receive buffer, reporting the counts with header_bytes() and
// payload_bytes().
class FrameReader {
 public:
  bool in_header() const { return left_ == 0; }
  std::byte* header_space() { return hdr_.data() + got_; }
  std::size_t header_missing() const { return kFrameHeaderSize - got_; }
  void header_bytes(std::size_t n);  // throws WireError once the header is complete and invalid
  uint64_t payload_left() const { return left_; }
  void payload_bytes(std::size_t n);
  // Returns the number of payload bytes appended to `out`.
  std::size_t feed(const std::byte* p, std::size_t n, std::vector<std::byte>& out);
  // "" between frames, else "in the middle of a frame header (5 of 16 bytes)" / "… a frame (10 of 4096 bytes)".
  std::string position() const;

 private:
  std::array<std::byte, kFrameHeaderSize> hdr_{};
  std::size_t got_ = 0;
  uint64_t left_ = 0, frame_len_ = 0;
};

}  // namespace scalelab::agent::wire
