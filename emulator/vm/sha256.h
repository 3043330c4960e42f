#pragma once
// SHA-256 (FIPS 180-4), to check cached kernel packages against the hashes apt's signed
// indexes gave when they were fetched.
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace scalelab::vm {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::array<uint8_t, 32> digest();  // finishes; the object is spent afterwards
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view data);
// Throws std::runtime_error when the file cannot be read.
std::string sha256_file(const std::filesystem::path& file);
// Hashes several files on parallel threads; same order as the input.
std::vector<std::string> sha256_files(const std::vector<std::filesystem::path>& files);

}  // namespace scalelab::vm
