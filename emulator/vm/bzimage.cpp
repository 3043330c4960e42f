#include "emulator/vm/bzimage.h"

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "emulator/vm/exec.h"

namespace scalelab::vm {
namespace {

struct Magic {
  std::string_view bytes;
  const char* name;
};
const Magic kMagics[] = {
    {std::string_view("\x28\xb5\x2f\xfd", 4), "zstd"},
    {std::string_view("\xfd\x37\x7a\x58\x5a\x00", 6), "xz"},
    {std::string_view("\x1f\x8b\x08", 3), "gzip"},
};

uint32_t le32(std::string_view s, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::optional<KernelPayload> find_kernel_payload(std::string_view image) {
  // Boot protocol header: "HdrS" at 0x202, version at 0x206, setup_sects at 0x1f1,
  // payload_offset/payload_length at 0x248/0x24c (relative to the protected-mode code).
  if (image.size() > 0x250 && image.substr(0x202, 4) == "HdrS") {
    unsigned version = static_cast<uint8_t>(image[0x206]) | (static_cast<uint8_t>(image[0x207]) << 8);
    unsigned setup_sects = static_cast<uint8_t>(image[0x1f1]);
    if (setup_sects == 0) setup_sects = 4;
    if (version >= 0x208) {
      size_t start = (setup_sects + 1) * 512ull + le32(image, 0x248);
      size_t length = le32(image, 0x24c);
      if (start < image.size() && length > 4 && start + length <= image.size()) {
        for (const auto& m : kMagics)
          if (image.substr(start, m.bytes.size()) == m.bytes) return KernelPayload{start, length - 4, m.name, true};
      }
    }
  }
  size_t best = std::string_view::npos;
  const char* name = nullptr;
  for (const auto& m : kMagics) {
    auto at = image.find(m.bytes);
    if (at < best) best = at, name = m.name;
  }
  if (best == std::string_view::npos) return std::nullopt;
  return KernelPayload{best, image.size() - best, name, false};
}

void extract_vmlinux(const std::filesystem::path& bzimage, const std::filesystem::path& out) {
  std::string image = read_file(bzimage);
  auto payload = find_kernel_payload(image);
  if (!payload) throw std::runtime_error(bzimage.string() + ": no zstd/xz/gzip kernel payload found (not a bzImage?)");
  auto slice_path = out.string() + ".payload";
  auto write_slice = [&](size_t length) {
    std::ofstream s(slice_path, std::ios::binary | std::ios::trunc);
    s.write(image.data() + payload->offset, static_cast<std::streamsize>(length));
    if (!s) throw std::runtime_error("cannot write " + slice_path);
  };
  std::string tool = payload->compression == "zstd" ? "zstd" : payload->compression == "xz" ? "xz" : "gzip";
  // With the exact length the decompressor succeeds; when scanning, trailing bytes make it
  // complain after writing the whole kernel, so its status is not trusted then — the ELF check is.
  std::vector<size_t> tries{payload->length};
  if (payload->from_header) tries.push_back(payload->length + 4);
  std::string last_error;
  for (size_t length : tries) {
    write_slice(length);
    ExecOptions opt;
    opt.stdout_file = out;
    auto r = run_capture({tool, "-dc", slice_path}, opt);
    std::string head(4, '\0');
    std::ifstream check(out, std::ios::binary);
    check.read(head.data(), 4);
    bool elf = check && head == "\x7f" "ELF";
    if (elf && (r.status == 0 || !payload->from_header)) {
      std::filesystem::remove(slice_path);
      return;
    }
    last_error = tool + " status " + std::to_string(r.status) + ": " + r.err;
  }
  std::filesystem::remove(slice_path);
  throw std::runtime_error("cannot decompress the kernel in " + bzimage.string() + ": " + last_error);
}

}  // namespace scalelab::vm
