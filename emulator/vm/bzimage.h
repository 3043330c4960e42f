#pragma once
// Turning a distribution's bzImage (vmlinuz) into an uncompressed vmlinux: qemu boots that
// directly through its PVH entry, which saves the in-guest decompression — seconds under TCG.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace scalelab::vm {

struct KernelPayload {
  size_t offset = 0;
  size_t length = 0;        // compressed stream only (without the appended 4-byte size)
  std::string compression;  // "zstd", "xz", "gzip"
  bool from_header = false; // located through the boot protocol header, not by scanning
};

// Locates the compressed kernel in a bzImage: the x86 boot header's payload_offset and
// payload_length when present (boot protocol >= 2.08), else the first zstd/xz/gzip magic.
std::optional<KernelPayload> find_kernel_payload(std::string_view image);

// Writes the decompressed ELF vmlinux of `bzimage` to `out` (forks zstd/xz/gzip). Throws with
// a reason when the image is not understood.
void extract_vmlinux(const std::filesystem::path& bzimage, const std::filesystem::path& out);

}  // namespace scalelab::vm
