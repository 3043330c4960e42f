#include "transport/tcp/wire.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace scalelab::agent::wire {

namespace {

void put32(std::byte* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
void put64(std::byte* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}
uint32_t get32(const std::byte* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t(std::to_integer<uint8_t>(p[i])) << (8 * i);
  return v;
}
uint64_t get64(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t(std::to_integer<uint8_t>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::array<std::byte, kHelloSize> encode_hello(const std::string& cluster, int rank, int world) {
  std::array<std::byte, kHelloSize> b{};
  put32(&b[0], kHelloMagic);
  b[4] = static_cast<std::byte>(kVersion & 0xff);
  b[5] = static_cast<std::byte>(kVersion >> 8);
  put32(&b[8], static_cast<uint32_t>(rank));
  put32(&b[12], static_cast<uint32_t>(world));
  put64(&b[16], cluster_hash(cluster));
  std::memcpy(&b[24], cluster.data(), std::min(cluster.size(), kClusterNameBytes));
  return b;
}

Hello check_hello(const std::byte* b, const std::string& cluster, int self, int world) {
  const uint32_t magic = get32(b);
  if (magic != kHelloMagic)
    throw WireError(fmt::format("not a scalelab peer: its hello starts with 0x{:08x}, not the magic 0x{:08x} (\"SLAB\")",
                                magic, kHelloMagic));
  Hello h;
  h.version = static_cast<uint16_t>(std::to_integer<uint8_t>(b[4]) | (std::to_integer<uint8_t>(b[5]) << 8));
  if (h.version != kVersion)
    throw WireError(fmt::format("speaks wire version {}, this agent speaks version {}", h.version, kVersion));
  h.rank = get32(&b[8]);
  h.world = get32(&b[12]);
  h.cluster_hash = get64(&b[16]);
  const char* name = reinterpret_cast<const char*>(&b[24]);
  h.cluster.assign(name, strnlen(name, kClusterNameBytes));
  if (h.cluster_hash != cluster_hash(cluster))
    throw WireError(fmt::format("speaks for cluster '{}', not this rank's cluster '{}'",
                                printable_cluster_name(h.cluster), printable_cluster_name(cluster)));
  if (h.world != static_cast<uint32_t>(world))
    throw WireError(fmt::format("says the world has {} ranks; this cluster has {}", h.world, world));
  if (h.rank >= static_cast<uint32_t>(world) || static_cast<int>(h.rank) == self)
    throw WireError(fmt::format("claims rank {}, but only the other ranks of 0..{} connect to rank {}", h.rank,
                                world - 1, self));
  return h;
}

std::array<std::byte, kFrameHeaderSize> encode_frame_header(uint64_t payload_len) {
  std::array<std::byte, kFrameHeaderSize> b{};
  put32(&b[0], kFrameMagic);
  put64(&b[8], payload_len);
  return b;
}

uint64_t decode_frame_header(const std::byte* b) {
  const uint32_t magic = get32(b);
  if (magic != kFrameMagic)
    throw WireError(fmt::format("sent bytes that are not a frame header (0x{:08x} where the magic 0x{:08x} "
                                "\"SLFR\" belongs): garbage or a broken sender",
                                magic, kFrameMagic));
  const uint32_t flags = get32(&b[4]);
  if (flags != 0) throw WireError(fmt::format("sent a frame header with unknown flags 0x{:08x}", flags));
  const uint64_t len = get64(&b[8]);
  if (len == 0 || len > kMaxFramePayload)
    throw WireError(fmt::format("sent a frame header claiming {} bytes; a frame carries 1..{} bytes", len,
                                kMaxFramePayload));
  return len;
}

void FrameReader::header_bytes(std::size_t n) {
  got_ += n;
  if (got_ < kFrameHeaderSize) return;
  got_ = 0;
  frame_len_ = left_ = decode_frame_header(hdr_.data());
}

void FrameReader::payload_bytes(std::size_t n) { left_ -= std::min<uint64_t>(n, left_); }

std::size_t FrameReader::feed(const std::byte* p, std::size_t n, std::vector<std::byte>& out) {
  std::size_t payload = 0;
  while (n > 0) {
    if (in_header()) {
      const std::size_t k = std::min(n, header_missing());
      std::memcpy(header_space(), p, k);
      p += k;
      n -= k;
      header_bytes(k);
    } else {
      const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, left_));
      out.insert(out.end(), p, p + k);
      p += k;
      n -= k;
      payload += k;
      payload_bytes(k);
    }
  }
  return payload;
}

std::string FrameReader::position() const {
  if (got_ > 0) return fmt::format("in the middle of a frame header ({} of {} bytes)", got_, kFrameHeaderSize);
  if (left_ > 0) return fmt::format("in the middle of a frame ({} of {} bytes)", frame_len_ - left_, frame_len_);
  return "";
}

}  // namespace scalelab::agent::wire
