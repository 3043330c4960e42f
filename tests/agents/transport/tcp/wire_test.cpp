// The TCP wire protocol's pure checks (transport/tcp/wire.h), which the transport and fuzz/wire_fuzz.cpp share.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "transport/tcp/wire.h"

using namespace scalelab::agent::wire;

namespace {

std::string hello_error(const std::array<std::byte, kHelloSize>& h, const std::string& cluster, int self, int world) {
  try {
    check_hello(h.data(), cluster, self, world);
  } catch (const WireError& e) {
    return e.what();
  }
  return "ok";
}

std::string frame_error(const std::vector<std::byte>& stream) {
  FrameReader r;
  std::vector<std::byte> out;
  try {
    r.feed(stream.data(), stream.size(), out);
  } catch (const WireError& e) {
    return e.what();
  }
  return r.position().empty() ? "ok" : r.position();
}

std::vector<std::byte> frame(uint64_t claimed, std::size_t payload) {
  const auto h = encode_frame_header(claimed);
  std::vector<std::byte> s(h.begin(), h.end());
  s.resize(s.size() + payload, std::byte{0x5a});
  return s;
}

}  // namespace

TEST(Wire, HelloRoundTrip) {
  const Hello h = check_hello(encode_hello("h100x2", 3, 16).data(), "h100x2", 1, 16);
  EXPECT_EQ(h.rank, 3u);
  EXPECT_EQ(h.world, 16u);
  EXPECT_EQ(h.cluster, "h100x2");
  EXPECT_EQ(h.version, kVersion);
}

TEST(Wire, HelloRejections) {
  auto h = encode_hello("a", 2, 4);
  EXPECT_EQ(hello_error(h, "a", 0, 4), "ok");
  EXPECT_NE(hello_error(h, "b", 0, 4).find("speaks for cluster 'a', not this rank's cluster 'b'"), std::string::npos);
  EXPECT_NE(hello_error(h, "a", 0, 5).find("says the world has 4 ranks; this cluster has 5"), std::string::npos);
  EXPECT_NE(hello_error(h, "a", 2, 4).find("claims rank 2, but only the other ranks of 0..3 connect to rank 2"),
            std::string::npos);
  EXPECT_EQ(hello_error(h, "a", 3, 4), "ok");  // a lower rank dials too: a connection per direction
  EXPECT_NE(hello_error(encode_hello("a", 9, 4), "a", 0, 4).find("claims rank 9"), std::string::npos);
  auto v = h;
  v[4] = std::byte{1};
  EXPECT_NE(hello_error(v, "a", 0, 4).find("speaks wire version 1"), std::string::npos);
  std::array<std::byte, kHelloSize> junk{};
  std::memcpy(junk.data(), "GET / HTTP/1.1\r\n", 16);
  EXPECT_NE(hello_error(junk, "a", 0, 4).find("not a scalelab peer"), std::string::npos);
  // A name longer than the 32 bytes carried is still told apart by its hash.
  const std::string long_a(40, 'a'), long_b = std::string(39, 'a') + "b";
  EXPECT_EQ(hello_error(encode_hello(long_a, 1, 2), long_a, 0, 2), "ok");
  EXPECT_NE(hello_error(encode_hello(long_a, 1, 2), long_b, 0, 2).find("speaks for cluster"), std::string::npos);
}

TEST(Wire, FrameRejections) {
  EXPECT_EQ(frame_error(frame(5, 5)), "ok");
  EXPECT_NE(frame_error(frame(uint64_t(1) << 40, 100)).find("claiming 1099511627776 bytes"), std::string::npos);
  EXPECT_NE(frame_error(frame(0, 0)).find("claiming 0 bytes"), std::string::npos);
  EXPECT_EQ(frame_error(frame(kMaxFramePayload, 0)), "in the middle of a frame (0 of 1073741824 bytes)");
  EXPECT_EQ(frame_error(frame(4096, 10)), "in the middle of a frame (10 of 4096 bytes)");
  auto f = frame(8, 8);
  f.resize(5);
  EXPECT_EQ(frame_error(f), "in the middle of a frame header (5 of 16 bytes)");
  f = frame(8, 8);
  f[5] = std::byte{1};
  EXPECT_NE(frame_error(f).find("unknown flags"), std::string::npos);
  std::vector<std::byte> junk(64, std::byte{0x41});
  EXPECT_NE(frame_error(junk).find("not a frame header"), std::string::npos);
}

TEST(Wire, PayloadComesBackAcrossFramesAndReads) {
  std::vector<std::byte> stream, want;
  for (std::size_t n : {1u, 7u, 300u, 4096u}) {
    auto f = frame(n, 0);
    for (std::size_t i = 0; i < n; ++i) {
      f.push_back(static_cast<std::byte>(want.size() * 31));
      want.push_back(f.back());
    }
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (std::size_t cut : {1u, 3u, 16u, 17u, 1000u}) {
    FrameReader r;
    std::vector<std::byte> got;
    for (std::size_t at = 0; at < stream.size(); at += cut)
      r.feed(stream.data() + at, std::min(cut, stream.size() - at), got);
    EXPECT_EQ(got, want) << cut;
    EXPECT_TRUE(r.in_header());
  }
}
