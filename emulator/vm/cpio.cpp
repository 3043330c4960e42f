#include "emulator/vm/cpio.h"

#include <sys/stat.h>

#include <cstdio>

namespace scalelab::vm {
namespace {
void pad4(std::string& s) {
  while (s.size() % 4) s += '\0';
}
}  // namespace

void CpioWriter::entry(std::string_view path, uint32_t mode, std::string_view data, uint32_t rmajor, uint32_t rminor) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  char header[111];
  std::snprintf(header, sizeof header, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
                path == "TRAILER!!!" ? 0u : ino_++, mode, 0u, 0u, 1u, 0u, static_cast<uint32_t>(data.size()), 0u, 0u, rmajor,
                rminor, static_cast<uint32_t>(path.size() + 1), 0u);
  out_.append(header, 110);
  out_.append(path);
  out_ += '\0';
  pad4(out_);
  out_.append(data);
  pad4(out_);
}

void CpioWriter::directory(std::string_view path, uint32_t mode) { entry(path, S_IFDIR | mode, {}); }
void CpioWriter::file(std::string_view path, std::string_view contents, uint32_t mode) { entry(path, S_IFREG | mode, contents); }
void CpioWriter::symlink(std::string_view path, std::string_view target) { entry(path, S_IFLNK | 0777, target); }
void CpioWriter::char_device(std::string_view path, uint32_t major, uint32_t minor, uint32_t mode) {
  entry(path, S_IFCHR | mode, {}, major, minor);
}

std::string CpioWriter::finish() {
  entry("TRAILER!!!", 0, {});
  while (out_.size() % 512) out_ += '\0';
  return std::move(out_);
}

}  // namespace scalelab::vm
