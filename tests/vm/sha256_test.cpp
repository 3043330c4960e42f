#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "emulator/vm/sha256.h"

using namespace scalelab::vm;

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, IncrementalEqualsOneShot) {
  std::string data(1000003, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + 3);
  Sha256 h;
  for (size_t off = 0; off < data.size(); off += 4099) h.update(data.data() + off, std::min<size_t>(4099, data.size() - off));
  EXPECT_EQ(h.hex_digest(), sha256_hex(data));
}

TEST(Sha256, FilesInParallel) {
  auto dir = std::filesystem::temp_directory_path();
  std::string a = (dir / "scalelab-sha256-test-a").string(), b = (dir / "scalelab-sha256-test-b").string();
  std::ofstream(a) << "abc";
  std::ofstream(b) << "";
  auto h = sha256_files({a, b});
  EXPECT_EQ(h[0], sha256_hex("abc"));
  EXPECT_EQ(h[1], sha256_hex(""));
  std::remove(a.c_str());
  std::remove(b.c_str());
  EXPECT_THROW(sha256_file("/nonexistent/file"), std::runtime_error);
}
