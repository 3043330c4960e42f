#include <gtest/gtest.h>

#include "emulator/vm/bzimage.h"
#include "emulator/vm/cpio.h"
#include "emulator/vm/initramfs.h"

using namespace scalelab::vm;

TEST(Modules, NameFromPath) {
  EXPECT_EQ(module_name("kernel/fs/9p/9p.ko.xz"), "9p");
  EXPECT_EQ(module_name("kernel/net/9p/9pnet_virtio.ko"), "9pnet_virtio");
  EXPECT_EQ(module_name("kernel/drivers/infiniband/sw/rxe/rdma_rxe.ko.zst"), "rdma_rxe");
  EXPECT_EQ(module_name("kernel/x/some-module.ko.xz"), "some_module");
}

TEST(Modules, LoadOrderPutsDependenciesFirst) {
  const char* dep =
      "kernel/fs/netfs/netfs.ko.xz:\n"
      "kernel/net/9p/9pnet.ko.xz:\n"
      "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/netfs.ko.xz\n"
      "kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz\n"
      "kernel/fs/overlayfs/overlay.ko.xz:\n";
  auto order = module_load_order(dep, "", {"9p", "9pnet_virtio", "overlay"});
  ASSERT_EQ(order.size(), 5u);
  auto pos = [&](const std::string& n) {
    for (size_t i = 0; i < order.size(); ++i)
      if (module_name(order[i]) == n) return i;
    return order.size();
  };
  EXPECT_LT(pos("9pnet"), pos("9p"));
  EXPECT_LT(pos("netfs"), pos("9p"));
  EXPECT_LT(pos("9pnet"), pos("9pnet_virtio"));
  EXPECT_LT(pos("overlay"), order.size());
}

TEST(Modules, BuiltinsAreSkippedAndMissingOnesNamed) {
  const char* dep = "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz\nkernel/net/9p/9pnet.ko.xz:\n";
  auto order = module_load_order(dep, "kernel/fs/overlayfs/overlay.ko\n", {"9p", "overlay"});
  EXPECT_EQ(order, (std::vector<std::string>{"kernel/net/9p/9pnet.ko.xz", "kernel/fs/9p/9p.ko.xz"}));
  try {
    module_load_order(dep, "", {"rdma_rxe"});
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("rdma_rxe"), std::string::npos);
  }
}

TEST(Cpio, NewcLayout) {
  CpioWriter w;
  w.directory("bin");
  w.file("/init", "#!/bin/sh\n", 0755);
  w.symlink("bin/sh", "busybox");
  w.char_device("dev/console", 5, 1);
  auto a = w.finish();
  EXPECT_EQ(a.size() % 512, 0u);
  EXPECT_EQ(a.substr(0, 6), "070701");
  // Every header starts on a 4-byte boundary; the first entry is "bin", the file is "init".
  EXPECT_EQ(a.substr(110, 4), std::string("bin\0", 4));
  auto init = a.find(std::string("init\0", 5));
  ASSERT_NE(init, std::string::npos);
  EXPECT_EQ((init - 110) % 4, 0u);
  EXPECT_NE(a.find("#!/bin/sh\n"), std::string::npos);
  EXPECT_NE(a.find("TRAILER!!!"), std::string::npos);
  // mode of the device entry: S_IFCHR|0600 = 0x2180, rdev 5:1
  auto dev = a.find(std::string("dev/console\0", 12));
  ASSERT_NE(dev, std::string::npos);
  auto header = a.substr(dev - 110, 110);
  EXPECT_EQ(header.substr(14, 8), "00002180");
  EXPECT_EQ(header.substr(78, 8), "00000005");
  EXPECT_EQ(header.substr(86, 8), "00000001");
}

TEST(InitScript, MountsResultsAndHandsOver) {
  auto s = initramfs_init_script();
  EXPECT_NE(s.find("scalelab.results /results"), std::string::npos);
  EXPECT_NE(s.find("exec $B sh /results/stage1.sh"), std::string::npos);
  EXPECT_NE(s.find(std::string(kProbeMarker)), std::string::npos);
  EXPECT_EQ(initramfs_recipe().size(), 16u);
}

TEST(BzImage, PayloadFromBootHeader) {
  std::string img(0x400 + 64, '\0');
  img[0x1f1] = 1;  // setup_sects → protected-mode code at (1+1)*512 = 0x400
  img.replace(0x202, 4, "HdrS");
  img[0x206] = 0x0f;
  img[0x207] = 0x02;  // boot protocol 2.15
  img[0x248] = 0x10;  // payload_offset 16
  img[0x24c] = 40;    // payload_length 40 (36 + 4-byte size)
  img.replace(0x410, 4, "\x28\xb5\x2f\xfd");
  auto p = find_kernel_payload(img);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 0x410u);
  EXPECT_EQ(p->length, 36u);
  EXPECT_EQ(p->compression, "zstd");
  EXPECT_TRUE(p->from_header);
}

TEST(BzImage, PayloadByMagicWithoutHeader) {
  std::string img = "junkjunk" + std::string("\xfd\x37\x7a\x58\x5a\x00", 6) + "rest";
  auto p = find_kernel_payload(img);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->offset, 8u);
  EXPECT_EQ(p->compression, "xz");
  EXPECT_FALSE(p->from_header);
  EXPECT_FALSE(find_kernel_payload("no payload here"));
}

TEST(Modules, SignatureIsStripped) {
  std::string body = "\x7f" "ELF module body";
  std::string sig = "SIGNATURE";
  std::string info = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, static_cast<char>(sig.size())};
  std::string signed_module = body + sig + info + "~Module signature appended~\n";
  EXPECT_EQ(strip_module_signature(signed_module), body);
  EXPECT_EQ(strip_module_signature(body), body);
  std::string bogus = body + std::string{0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0} + "~Module signature appended~\n";
  EXPECT_EQ(strip_module_signature(bogus), bogus);  // a length beyond the file is left alone
}
