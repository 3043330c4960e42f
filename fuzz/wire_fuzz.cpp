// libFuzzer target: the agents' TCP wire protocol (agents/transport/tcp/wire.h) — what a peer sends.
// The input is a peer's byte stream: a hello, then frames, cut into reads of the sizes the first
// bytes choose, through both ways the transport reads (feed() into staging; header then payload
// straight into a posted buffer). A rejection must be a WireError. Then the round trip: the input
// as a payload, framed as the sender frames it, must come back unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "transport/tcp/wire.h"

using namespace scalelab::agent::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto* p = reinterpret_cast<const std::byte*>(data);
  const unsigned cut = 1 + data[0] % 61;   // read sizes
  const bool direct = data[1] & 1;         // header/payload reads instead of feed()
  p += 2;
  size = size - 2;
  if (size >= kHelloSize) {
    try {
      const Hello h = check_hello(p, "fuzz", 0, 4);
      if (h.rank < 1 || h.rank > 3 || h.world != 4) std::abort();
    } catch (const WireError&) {
    }
  }
  FrameReader r;
  std::vector<std::byte> out;
  std::size_t payload = 0;
  try {
    for (std::size_t at = 0; at < size;) {
      const std::size_t n = std::min<std::size_t>(cut, size - at);
      if (!direct) {
        payload += r.feed(p + at, n, out);
        at += n;
      } else if (r.in_header()) {
        const std::size_t k = std::min(n, r.header_missing());
        std::memcpy(r.header_space(), p + at, k);
        r.header_bytes(k);
        at += k;
      } else {
        const std::size_t k = static_cast<std::size_t>(std::min<uint64_t>(n, r.payload_left()));
        r.payload_bytes(k);
        payload += k;
        at += k;
      }
    }
    if (out.size() != (direct ? 0 : payload)) std::abort();  // (feed() may have taken some bytes before throwing)
  } catch (const WireError&) {
  }

  // Round trip: frames of at most `cut`·1000 bytes.
  std::vector<std::byte> stream;
  for (std::size_t at = 0; at < size;) {
    const std::size_t n = std::min<std::size_t>(cut * 1000, size - at);
    const auto h = encode_frame_header(n);
    stream.insert(stream.end(), h.begin(), h.end());
    stream.insert(stream.end(), p + at, p + at + n);
    at += n;
  }
  FrameReader back;
  std::vector<std::byte> got;
  for (std::size_t at = 0; at < stream.size(); at += cut)
    back.feed(stream.data() + at, std::min<std::size_t>(cut, stream.size() - at), got);
  if (got.size() != size || (size && std::memcmp(got.data(), p, size) != 0) || !back.position().empty()) std::abort();
  return 0;
}
