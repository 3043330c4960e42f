#pragma once
// A minimal "newc" cpio writer: what the kernel unpacks as an initramfs.
#include <cstdint>
#include <string>
#include <string_view>

namespace scalelab::vm {

class CpioWriter {
 public:
  void directory(std::string_view path, uint32_t mode = 0755);
  void file(std::string_view path, std::string_view contents, uint32_t mode = 0644);
  void symlink(std::string_view path, std::string_view target);
  void char_device(std::string_view path, uint32_t major, uint32_t minor, uint32_t mode = 0600);
  // Appends the TRAILER!!! record and returns the archive.
  std::string finish();

 private:
  void entry(std::string_view path, uint32_t mode, std::string_view data, uint32_t rmajor = 0, uint32_t rminor = 0);
  std::string out_;
  uint32_t ino_ = 1;
};

}  // namespace scalelab::vm
